//! Case- and accent-insensitive matching and ranking.

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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    terms: Vec<String>,
}

impl Query {
    /// Parses what the user typed.
    pub fn parse(raw: &str) -> Self {
        Query {
            terms: fold(raw).split_whitespace().map(str::to_owned).collect(),
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
            // Best first, each check only when the better ones missed: most resources miss
            // most queries, and this runs for every resource on every keystroke.
            let best = match name_score(&fields.name, term) {
                0 if fields.category.iter().any(|c| c.contains(term.as_str())) => 30,
                0 if fields.description.contains(term.as_str()) => 10,
                0 => return None,
                name => name,
            };
            total += best;
        }
        Some(total)
    }
}

fn name_score(name: &str, term: &str) -> u32 {
    let Some(first) = name.find(term) else {
        return 0;
    };
    if first == 0 {
        return if name.len() == term.len() { 100 } else { 80 };
    }
    // Some occurrence at the start of a word: right after a character that is not part of one.
    let word_start = name.match_indices(term).any(|(at, _)| {
        name[..at]
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_alphanumeric())
    });
    if word_start { 60 } else { 40 }
}

/// A resource's searchable text, folded once when the catalogue arrives rather than per keystroke.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fields {
    /// Folded name.
    pub name: String,
    /// Folded description, empty when there is none.
    pub description: String,
    /// Folded category folders.
    pub category: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str, description: &str, category: &[&str]) -> Fields {
        Fields {
            name: fold(name),
            description: fold(description),
            category: category.iter().map(|c| fold(c)).collect(),
        }
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
