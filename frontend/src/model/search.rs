//! Case- and accent-insensitive matching and ranking.

use memchr::memmem::Finder;

/// Lower-cases `s` and strips the accents of Latin letters, so "Écran" and "ecran" compare equal.
///
/// A table rather than Unicode normalisation: it covers the Latin scripts resource names use and
/// keeps the WASM small.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => out.push('a'),
            'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => out.push('c'),
            'ď' | 'đ' | 'ð' => out.push('d'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => out.push('e'),
            'ĝ' | 'ğ' | 'ġ' | 'ģ' => out.push('g'),
            'ĥ' | 'ħ' => out.push('h'),
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => out.push('i'),
            'ĵ' => out.push('j'),
            'ķ' => out.push('k'),
            'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => out.push('l'),
            'ñ' | 'ń' | 'ņ' | 'ň' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => out.push('o'),
            'ŕ' | 'ŗ' | 'ř' => out.push('r'),
            'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => out.push('s'),
            'ţ' | 'ť' | 'ŧ' | 'ț' => out.push('t'),
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => out.push('u'),
            'ŵ' => out.push('w'),
            'ý' | 'ÿ' | 'ŷ' => out.push('y'),
            'ź' | 'ż' | 'ž' => out.push('z'),
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'þ' => out.push_str("th"),
            // Combining marks (a decomposed "e\u{301}") carry only the accent.
            '\u{300}'..='\u{36f}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A query split into folded terms; every term must match for a resource to be shown.
#[derive(Debug, Clone, Default)]
pub struct Query {
    terms: Vec<Term>,
}

/// One folded term and its searcher, built once per keystroke rather than once per resource.
#[derive(Debug, Clone)]
struct Term {
    finder: Finder<'static>,
}

impl Term {
    fn new(text: &str) -> Self {
        Term {
            finder: Finder::new(text).into_owned(),
        }
    }

    fn len(&self) -> usize {
        self.finder.needle().len()
    }

    fn is_in(&self, text: &str) -> bool {
        self.finder.find(text.as_bytes()).is_some()
    }
}

impl Query {
    /// Parses what the user typed.
    pub fn parse(raw: &str) -> Self {
        Query {
            terms: fold(raw).split_whitespace().map(Term::new).collect(),
        }
    }

    /// Whether the query matches everything.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// How well the query matches a resource's folded fields; `None` when some term matches
    /// nothing. Higher is better: a hit in the name beats one in a category, which beats one in
    /// the description, and the start of a name or word beats the middle.
    pub fn score(&self, fields: &Fields) -> Option<u32> {
        let mut total = 0;
        for term in &self.terms {
            // This runs for every resource on every keystroke, and most resources miss most
            // queries: one search of all the text rules them out, and the fields are looked at
            // one by one, best first, only for a hit.
            if !term.is_in(&fields.text) {
                return None;
            }
            let best = match name_score(fields.name(), term) {
                0 if fields.category().any(|c| term.is_in(c)) => 30,
                0 if term.is_in(fields.description()) => 10,
                0 => return None,
                name => name,
            };
            total += best;
        }
        Some(total)
    }
}

fn name_score(name: &str, term: &Term) -> u32 {
    let mut hits = term.finder.find_iter(name.as_bytes()).peekable();
    let Some(&first) = hits.peek() else {
        return 0;
    };
    if first == 0 {
        return if name.len() == term.len() { 100 } else { 80 };
    }
    // Some occurrence at the start of a word: right after a character that is not part of one.
    // A folded term is whole characters, so every hit starts on a character boundary.
    let word_start = hits.any(|at| {
        name[..at]
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_alphanumeric())
    });
    if word_start { 60 } else { 40 }
}

/// A resource's searchable text, folded once when the catalogue arrives rather than per keystroke:
/// its name, its category folders and its description, one after another in a single string,
/// each followed by a line break (a search term holds none, so it does not run across two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    text: String,
    /// Where each field ends in `text`: the name, then each folder, then the description.
    ends: Vec<usize>,
}

impl Fields {
    /// Folds a resource's name, description (empty when it has none) and category folders.
    pub fn new(name: &str, description: &str, category: &[String]) -> Self {
        let mut text = String::new();
        let mut ends = Vec::with_capacity(category.len() + 2);
        for field in std::iter::once(name)
            .chain(category.iter().map(String::as_str))
            .chain(std::iter::once(description))
        {
            text.push_str(&fold(field));
            ends.push(text.len());
            text.push('\n');
        }
        Fields { text, ends }
    }

    /// The folded name.
    pub fn name(&self) -> &str {
        self.field(0)
    }

    fn category(&self) -> impl Iterator<Item = &str> {
        (1..self.ends.len() - 1).map(|i| self.field(i))
    }

    fn description(&self) -> &str {
        self.field(self.ends.len() - 1)
    }

    fn field(&self, i: usize) -> &str {
        let start = match i {
            0 => 0,
            i => self.ends[i - 1] + 1,
        };
        &self.text[start..self.ends[i]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str, description: &str, category: &[&str]) -> Fields {
        let category: Vec<String> = category.iter().map(|c| (*c).to_owned()).collect();
        Fields::new(name, description, &category)
    }

    #[test]
    fn fold_ignores_case_and_accents() {
        assert_eq!(fold("Écran Öffentlich"), "ecran offentlich");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Cafe\u{301}"), "cafe");
        assert_eq!(fold("ŁÓDŹ"), "lodz");
    }

    #[test]
    fn empty_query_matches_everything() {
        let q = Query::parse("   ");
        assert!(q.is_empty());
        assert_eq!(q.score(&fields("Notepad", "", &[])), Some(0));
    }

    #[test]
    fn every_term_must_match_somewhere() {
        let f = fields("Excel", "Spreadsheets", &["Office"]);
        assert!(Query::parse("excel office").score(&f).is_some());
        assert!(Query::parse("sheets").score(&f).is_some());
        assert!(Query::parse("excel word").score(&f).is_none());
    }

    #[test]
    fn name_hits_rank_above_category_and_description() {
        let q = Query::parse("paint");
        let exact = q.score(&fields("Paint", "", &[])).unwrap();
        let prefix = q.score(&fields("Paint Shop", "", &[])).unwrap();
        let word = q.score(&fields("MS Paint", "", &[])).unwrap();
        let inner = q.score(&fields("Repaint", "", &[])).unwrap();
        let category = q.score(&fields("Gimp", "", &["Paint tools"])).unwrap();
        let description = q.score(&fields("Gimp", "Paint and edit", &[])).unwrap();
        assert!(exact > prefix && prefix > word && word > inner);
        assert!(inner > category && category > description);
    }

    #[test]
    fn a_word_start_anywhere_in_the_name_counts_as_one() {
        // "ban" is first inside "urban", then starts "banner".
        let later = Query::parse("ban").score(&fields("Urban Banner", "", &[]));
        let inside = Query::parse("ban").score(&fields("Urban Sprawl", "", &[]));
        assert_eq!((later, inside), (Some(60), Some(40)));
    }

    #[test]
    fn a_term_matches_within_one_field_only() {
        // "Ex" and "cel" run together would read "excel".
        assert_eq!(
            Query::parse("excel").score(&fields("Ex", "cel", &["Tools"])),
            None
        );
        assert_eq!(
            Query::parse("extools").score(&fields("Ex", "", &["Tools"])),
            None
        );
        // Each field is found where it is, whatever it holds.
        let f = fields("Line\nBreak", "", &["Tools"]);
        assert_eq!(Query::parse("break").score(&f), Some(60));
        assert_eq!(Query::parse("tools").score(&f), Some(30));
    }

    #[test]
    fn accented_query_matches_plain_text_and_back() {
        assert!(
            Query::parse("écran")
                .score(&fields("Ecran", "", &[]))
                .is_some()
        );
        assert!(
            Query::parse("ecran")
                .score(&fields("Écran", "", &[]))
                .is_some()
        );
    }
}
