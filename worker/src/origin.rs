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

    /// The SSRF guard: `candidate` parsed, and only if it is on this origin.
    pub fn admit(&self, candidate: &str) -> Result<Url, String> {
        let url = Url::parse(candidate).map_err(|_| "is not an absolute URL".to_string())?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err("carries credentials".into());
        }
        if url.origin() != self.0.origin() {
            return Err(format!("is not on {}", self.as_str()));
        }
        Ok(url)
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
        let o = Origin::parse("https://acme.cloud.com").unwrap();
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
}
