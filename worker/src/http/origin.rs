//! Origins and the SSRF guard.
//!
//! The worker fetches only URLs it learnt from discovery or enumeration, and only when they are on
//! an origin it trusts. A URL from the browser is never fetched.

use url::Url;

/// A scheme + host + port the worker trusts: `https`, or `http` on loopback only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(Url);

impl Origin {
    /// Parses a base URL; only its origin is kept.
    pub fn parse(input: &str) -> Result<Origin, String> {
        let url = Url::parse(input).map_err(|e| format!("is not a URL ({e}): {input:?}"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not contain a user name or password".into());
        }
        let host = url.host_str().ok_or("must have a host")?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(host) => {}
            "http" => {
                return Err(format!(
                    "must use https (plain http is allowed only for 127.0.0.1 and localhost): {input:?}"
                ));
            }
            other => return Err(format!("must be an https URL, not {other}:")),
        }
        let origin = url.origin().ascii_serialization();
        Url::parse(&origin)
            .map(Origin)
            .map_err(|e| format!("has no usable origin ({e})"))
    }

    /// `scheme://host[:port]`, no trailing slash.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// Host and port as a browser shows them, e.g. `acme.cloud.com`.
    pub fn host(&self) -> String {
        match self.0.port() {
            Some(p) => format!("{}:{p}", self.0.host_str().unwrap_or_default()),
            None => self.0.host_str().unwrap_or_default().to_owned(),
        }
    }

    /// Joins a path to this origin.
    pub fn join(&self, path: &str) -> Url {
        let mut url = self.0.clone();
        url.set_path(path);
        url
    }
}

/// The origins a kind of URL may be on, e.g. every origin the tenant's discovery names for its
/// store. The first is where the set came from (the configured URL), for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trusted(Vec<Origin>);

impl Trusted {
    /// A set of one origin.
    pub fn new(first: Origin) -> Trusted {
        Trusted(vec![first])
    }

    /// Adds an origin (once).
    pub fn add(&mut self, origin: Origin) {
        if !self.0.contains(&origin) {
            self.0.push(origin);
        }
    }

    /// The SSRF guard: `candidate` parsed, and only if it is on one of these origins.
    pub fn admit(&self, candidate: &str) -> Result<Url, String> {
        let url = Url::parse(candidate).map_err(|_| "is not an absolute URL".to_string())?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err("carries credentials".into());
        }
        if self.0.iter().any(|o| o.0.origin() == url.origin()) {
            return Ok(url);
        }
        Err(match self.0.as_slice() {
            [one] => format!("is not on {}", one.as_str()),
            _ => format!("is not on any of {}", self.names()),
        })
    }

    /// The origins, comma-separated.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.0.iter().map(Origin::as_str).collect();
        names.join(", ")
    }
}

/// An origin an admin allows, possibly for every subdomain: `https://cdn.example.com`,
/// `https://*.cloud.com`, `http://127.0.0.1:8790`. A wildcard stands for one or more labels and
/// never for the bare domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPattern {
    scheme: String,
    /// The host, or for a wildcard the suffix that follows `*` (e.g. `.cloud.com`).
    host: String,
    wildcard: bool,
    port: Option<u16>,
}

impl OriginPattern {
    /// Parses `scheme://host[:port]` where host may start with `*.`; no path, no credentials.
    pub fn parse(input: &str) -> Result<OriginPattern, String> {
        let input = input.trim().trim_end_matches('/');
        let (wildcard, concrete) = match input.split_once("://*.") {
            Some((scheme, rest)) => (true, format!("{scheme}://wildcard.{rest}")),
            None => (false, input.to_owned()),
        };
        let origin = Origin::parse(&concrete)?;
        let url = Url::parse(&concrete).map_err(|e| format!("is not a URL ({e}): {input:?}"))?;
        if url.path() != "/" || url.query().is_some() {
            return Err(format!("must be an origin without a path: {input:?}"));
        }
        let host = origin.0.host_str().unwrap_or_default().to_owned();
        let host = if wildcard {
            let suffix = host.trim_start_matches("wildcard").to_owned();
            if suffix.matches('.').count() < 2 {
                return Err(format!(
                    "{input:?}: a wildcard must be followed by at least two labels (*.example.com)"
                ));
            }
            suffix
        } else {
            host
        };
        Ok(OriginPattern {
            scheme: origin.0.scheme().to_owned(),
            host,
            wildcard,
            port: origin.0.port(),
        })
    }

    /// Whether `url` is on an origin this pattern allows (and carries no credentials).
    pub fn matches(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let host_ok = if self.wildcard {
            host.len() > self.host.len() && host.ends_with(&self.host)
        } else {
            host == self.host
        };
        url.scheme() == self.scheme
            && host_ok
            && url.port() == self.port
            && url.username().is_empty()
            && url.password().is_none()
    }
}

/// Where an icon may be fetched from, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IconSource {
    /// On the store's own origins: with the application id, as the web sample does.
    Store(Url),
    /// On a host the admin allows (a CDN): with no credentials at all.
    Allowed(Url),
}

impl IconSource {
    /// The SSRF guard for icons: the store's origins, else `ICON_HOSTS`, else refused.
    pub fn of(image: &str, store: &Trusted, icon_hosts: &[OriginPattern]) -> Result<Self, String> {
        let refused = match store.admit(image) {
            Ok(url) => return Ok(IconSource::Store(url)),
            Err(e) => e,
        };
        match Url::parse(image) {
            Ok(url) if icon_hosts.iter().any(|p| p.matches(&url)) => Ok(IconSource::Allowed(url)),
            _ => Err(format!(
                "{refused}, nor on ICON_HOSTS (add its origin there if it is your tenant's CDN)"
            )),
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host == "127.0.0.1" || host == "[::1]"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_origin() {
        let o = Origin::parse("https://acme.cloud.com/some/path?q=1").unwrap();
        assert_eq!(o.as_str(), "https://acme.cloud.com");
        assert_eq!(o.host(), "acme.cloud.com");
        let o = Origin::parse("http://127.0.0.1:8788").unwrap();
        assert_eq!(o.host(), "127.0.0.1:8788");
    }

    #[test]
    fn refuses_plain_http_credentials_and_other_schemes() {
        assert!(Origin::parse("http://acme.cloud.com").is_err());
        assert!(Origin::parse("http://127.0.0.1.evil.com").is_err());
        assert!(Origin::parse("https://user:pw@acme.cloud.com").is_err());
        assert!(Origin::parse("ftp://acme.cloud.com").is_err());
        assert!(Origin::parse("acme.cloud.com").is_err());
    }

    #[test]
    fn ssrf_guard_admits_only_the_same_origin() {
        let o = Trusted::new(Origin::parse("https://acme.cloud.com").unwrap());
        assert!(
            o.admit("https://acme.cloud.com/citrixapi/store/resources")
                .is_ok()
        );
        for bad in [
            "https://evil.com/citrixapi",
            "http://acme.cloud.com/citrixapi",
            "https://acme.cloud.com:8443/x",
            "https://acme.cloud.com.evil.com/x",
            "https://acme.cloud.com@evil.com/x",
            "https://x:y@acme.cloud.com/x",
            "//acme.cloud.com/x",
            "/citrixapi/store",
            "file:///etc/passwd",
            "http://169.254.169.254/latest/meta-data",
        ] {
            assert!(o.admit(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn a_trusted_set_admits_any_of_its_origins_and_nothing_else() {
        let mut t = Trusted::new(Origin::parse("https://workspace.acme.com").unwrap());
        t.add(Origin::parse("https://acme.cloud.com/citrixapi").unwrap());
        t.add(Origin::parse("https://acme.cloud.com").unwrap());
        assert_eq!(
            t.names(),
            "https://workspace.acme.com, https://acme.cloud.com"
        );
        assert!(t.admit("https://acme.cloud.com/citrixapi/store").is_ok());
        assert!(t.admit("https://workspace.acme.com/x").is_ok());
        let e = t.admit("https://accounts.cloud.com/core").unwrap_err();
        assert!(e.contains("any of https://workspace.acme.com"), "{e}");
        assert_eq!(
            t.admit("https://u:p@acme.cloud.com/x").unwrap_err(),
            "carries credentials"
        );
    }

    #[test]
    fn icons_come_from_the_store_with_its_id_or_an_allowed_host_without_credentials() {
        let store = Trusted::new(Origin::parse("https://acme.cloud.com").unwrap());
        let hosts = [OriginPattern::parse("https://*.cloud.com").unwrap()];
        let url = |s: &str| Url::parse(s).unwrap();
        let api = "https://acme.cloud.com/citrixapi/store/resources/images/a.png";
        assert_eq!(
            IconSource::of(api, &store, &hosts),
            Ok(IconSource::Store(url(api)))
        );
        let cdn = "https://cdn.cloud.com/icons/a.png";
        assert_eq!(
            IconSource::of(cdn, &store, &hosts),
            Ok(IconSource::Allowed(url(cdn)))
        );
        for bad in [
            "https://evil.example/a.png",
            "https://u:p@cdn.cloud.com/a.png",
            "http://cdn.cloud.com/a.png",
            "http://169.254.169.254/latest/meta-data",
            "/relative.png",
        ] {
            let e = IconSource::of(bad, &store, &hosts).unwrap_err();
            assert!(e.contains("ICON_HOSTS"), "{bad}: {e}");
        }
        assert!(
            IconSource::of(cdn, &store, &[]).is_err(),
            "no allowed hosts, no CDN"
        );
    }

    #[test]
    fn origin_patterns_allow_exact_hosts_and_subdomains_only() {
        let url = |s: &str| Url::parse(s).unwrap();
        let cdn = OriginPattern::parse("https://*.cloud.com").unwrap();
        assert!(cdn.matches(&url("https://cdn.cloud.com/icons/a.png")));
        assert!(cdn.matches(&url("https://a.b.cloud.com/i")));
        for bad in [
            "https://cloud.com/i",
            "https://evilcloud.com/i",
            "https://cdn.cloud.com.evil.com/i",
            "http://cdn.cloud.com/i",
            "https://cdn.cloud.com:8443/i",
            "https://u:p@cdn.cloud.com/i",
        ] {
            assert!(!cdn.matches(&url(bad)), "{bad}");
        }
        let local = OriginPattern::parse("http://127.0.0.1:8790/").unwrap();
        assert!(local.matches(&url("http://127.0.0.1:8790/icons/x.png")));
        assert!(!local.matches(&url("http://127.0.0.1:8791/icons/x.png")));
        for bad in [
            "https://*.com",
            "http://*.example.com",
            "https://cdn.example.com/icons",
            "cdn.example.com",
        ] {
            assert!(OriginPattern::parse(bad).is_err(), "{bad}");
        }
    }
}
