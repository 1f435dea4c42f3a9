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
        name.get(..at)
            .and_then(|before| before.chars().next_back())
            .is_some_and(|c| !c.is_alphanumeric())
    });
    if word_start { 60 } else { 40 }
}

/// The searchable text of a catalogue, folded once when it arrives rather than per keystroke:
/// each resource's name, category folders and description, one after another in one string,
/// each followed by a line break (a search term holds none, so it does not run across two).
///
/// A search runs on every keystroke and most resources miss most queries, so each term is
/// looked for in one pass over all the text; only the resources it finds are ranked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Index {
    text: String,
    /// Where each field ends in `text`, resource after resource.
    ends: Vec<usize>,
    /// Per resource, where its text starts and the number of its first field in `ends`.
    starts: Vec<(usize, usize)>,
}

impl Index {
    /// Adds a resource; resources are numbered from 0 in the order they are added.
    pub fn push(&mut self, name: &str, description: &str, category: &[String]) {
        self.starts.push((self.text.len(), self.ends.len()));
        for field in std::iter::once(name)
            .chain(category.iter().map(String::as_str))
            .chain(std::iter::once(description))
        {
            self.text.push_str(&fold(field));
            self.ends.push(self.text.len());
            self.text.push('\n');
        }
    }

    /// The resources that match `query`, by number, each with how well: `query`'s every term
    /// is somewhere in it. Higher is better: a hit in the name beats one in a category, which
    /// beats one in the description, and the start of a name or word beats the middle.
    pub fn search(&self, query: &Query) -> Vec<(usize, u32)> {
        let Some((first, rest)) = query.terms.split_first() else {
            return (0..self.starts.len()).map(|i| (i, 0)).collect();
        };
        let mut found = self.holding(first);
        for term in rest {
            let also = self.holding(term);
            found.retain(|i| also.binary_search(i).is_ok());
        }
        found
            .into_iter()
            .filter_map(|i| Some((i, self.score(i, &query.terms)?)))
            .collect()
    }

    /// The resources whose text holds `term`, in order.
    fn holding(&self, term: &Term) -> Vec<usize> {
        let mut found: Vec<usize> = Vec::new();
        for at in term.finder.find_iter(self.text.as_bytes()) {
            let i = self.starts.partition_point(|&(start, _)| start <= at) - 1;
            if found.last() != Some(&i) {
                found.push(i);
            }
        }
        found
    }

    /// How well `terms` match resource `i`; `None` when one is in none of its fields.
    fn score(&self, i: usize, terms: &[Term]) -> Option<u32> {
        let first = self.starts[i].1;
        let last = self.starts.get(i + 1).map_or(self.ends.len(), |s| s.1) - 1;
        let name = self.field(first);
        let mut total = 0;
        for term in terms {
            // Best first, each field only when the better ones missed.
            total += match name_score(name, term) {
                0 if (first + 1..last).any(|f| term.is_in(self.field(f))) => 30,
                0 if term.is_in(self.field(last)) => 10,
                0 => return None,
                name => name,
            };
        }
        Some(total)
    }

    fn field(&self, f: usize) -> &str {
        let start = match f {
            0 => 0,
            f => self.ends[f - 1] + 1,
        };
        self.text.get(start..self.ends[f]).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A catalogue of one resource, searched for `query`.
    fn score(query: &str, name: &str, description: &str, category: &[&str]) -> Option<u32> {
        let category: Vec<String> = category.iter().map(|c| (*c).to_owned()).collect();
        let mut index = Index::default();
        index.push(name, description, &category);
        let found = index.search(&Query::parse(query));
        assert!(found.iter().all(|&(i, _)| i == 0), "{found:?}");
        found.first().map(|&(_, score)| score)
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
        assert_eq!(score("   ", "Notepad", "", &[]), Some(0));
    }

    #[test]
    fn every_term_must_match_somewhere() {
        assert!(score("excel office", "Excel", "Spreadsheets", &["Office"]).is_some());
        assert!(score("sheets", "Excel", "Spreadsheets", &["Office"]).is_some());
        assert!(score("excel word", "Excel", "Spreadsheets", &["Office"]).is_none());
    }

    #[test]
    fn name_hits_rank_above_category_and_description() {
        let paint = |name, description, category: &[&str]| {
            score("paint", name, description, category).unwrap()
        };
        let exact = paint("Paint", "", &[]);
        let prefix = paint("Paint Shop", "", &[]);
        let word = paint("MS Paint", "", &[]);
        let inner = paint("Repaint", "", &[]);
        let category = paint("Gimp", "", &["Paint tools"]);
        let description = paint("Gimp", "Paint and edit", &[]);
        assert!(exact > prefix && prefix > word && word > inner);
        assert!(inner > category && category > description);
    }

    #[test]
    fn a_word_start_anywhere_in_the_name_counts_as_one() {
        // "ban" is first inside "urban", then starts "banner".
        let later = score("ban", "Urban Banner", "", &[]);
        let inside = score("ban", "Urban Sprawl", "", &[]);
        assert_eq!((later, inside), (Some(60), Some(40)));
    }

    #[test]
    fn a_term_matches_within_one_field_only() {
        // "Ex" and "cel" run together would read "excel".
        assert_eq!(score("excel", "Ex", "cel", &["Tools"]), None);
        assert_eq!(score("extools", "Ex", "", &["Tools"]), None);
        // Each field is found where it is, whatever it holds.
        assert_eq!(score("break", "Line\nBreak", "", &["Tools"]), Some(60));
        assert_eq!(score("tools", "Line\nBreak", "", &["Tools"]), Some(30));
    }

    #[test]
    fn a_search_finds_each_resource_by_its_own_text() {
        let mut index = Index::default();
        let office = ["Office".to_owned()];
        index.push("Word", "Documents", &office);
        index.push("Notepad", "ex", &[]);
        index.push("Excel", "Spreadsheets", &office);
        index.push("Calculator", "", &[]);
        let search = |q| index.search(&Query::parse(q));
        assert_eq!(search("office"), vec![(0, 30), (2, 30)]);
        assert_eq!(search("excel"), vec![(2, 100)]);
        // Every term in the same resource, not one here and one there.
        assert_eq!(search("word sheets"), vec![]);
        assert_eq!(search("office sheets"), vec![(2, 40)]);
        assert_eq!(search("calc").len(), 1);
        assert_eq!(search("").len(), 4);
    }

    #[test]
    fn accented_query_matches_plain_text_and_back() {
        assert!(score("écran", "Ecran", "", &[]).is_some());
        assert!(score("ecran", "Écran", "", &[]).is_some());
    }
}
