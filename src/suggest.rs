//! "Did you mean …?" suggestions with bounded work: every suggestion site goes
//! through `closest`, whose cost never depends on how long or absurd the input is.

/// Inputs longer than this get no suggestion: nobody mistypes 256 characters.
pub const MAX_INPUT_CHARS: usize = 256;

/// The candidate nearest to `input` by edit distance (Levenshtein, by
/// characters) when it is at most `max` edits away; ties go to the first.
/// Each pair costs O(length × max) at most and candidates whose length alone
/// puts them out of reach are skipped, so a huge input or a large catalog
/// stays cheap.
pub fn closest<'a, T>(
    input: &str,
    candidates: impl IntoIterator<Item = (&'a str, T)>,
    max: usize,
) -> Option<T> {
    if input.chars().nth(MAX_INPUT_CHARS).is_some() {
        return None;
    }
    let a: Vec<char> = input.chars().collect();
    let mut b: Vec<char> = Vec::new();
    let mut best: Option<(usize, T)> = None;
    for (text, value) in candidates {
        // A later candidate must be strictly nearer to replace the best one.
        let limit = match &best {
            Some((0, _)) => break,
            Some((d, _)) => d - 1,
            None => max,
        };
        b.clear();
        b.extend(text.chars().take(a.len() + limit + 1));
        if let Some(d) = bounded_distance(&a, &b, limit) {
            best = Some((d, value));
        }
    }
    best.map(|(_, v)| v)
}

/// The edit distance of `a` and `b` when it is at most `max`, else `None`.
/// Only the band of cells within `max` of the diagonal is computed, and a row
/// whose every cell exceeds `max` ends the search.
pub fn bounded_distance(a: &[char], b: &[char], max: usize) -> Option<usize> {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > max {
        return None;
    }
    let out = max + 1;
    let mut prev = vec![out; m + 1];
    let mut cur = vec![out; m + 1];
    for (j, p) in prev.iter_mut().enumerate().take(m.min(max) + 1) {
        *p = j;
    }
    for i in 1..=n {
        let lo = i.saturating_sub(max);
        let hi = m.min(i + max);
        let mut row_min = out;
        if lo == 0 {
            cur[0] = i.min(out);
            row_min = cur[0];
        } else {
            cur[lo - 1] = out;
        }
        for j in lo.max(1)..=hi {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let v = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            cur[j] = v.min(out);
            row_min = row_min.min(cur[j]);
        }
        if hi < m {
            cur[hi + 1] = out;
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[m]).filter(|d| *d <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                let cost = usize::from(ca != *cb);
                cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
            }
            prev = cur;
        }
        prev[b.len()]
    }

    #[test]
    fn the_band_agrees_with_the_full_table() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "abc",
            "kitten",
            "sitting",
            "saturday",
            "sunday",
            "Microsoft.KeyVault/vaults/enableRbacAuthorization",
            "microsoft.keyvault/vaults/enablerbacauthorisation",
            "identity",
            "identiy",
            "tests",
            "test",
            "ümlaut",
            "umlaut",
            "xyzxyzxyz",
        ];
        for a in words {
            for b in words {
                let want = full(a, b);
                let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                for max in 0..12 {
                    let got = bounded_distance(&ca, &cb, max);
                    assert_eq!(got, (want <= max).then_some(want), "{a:?} {b:?} max {max}");
                }
            }
        }
    }

    #[test]
    fn closest_keeps_the_first_of_equals_and_respects_the_limit() {
        let known = ["tests", "title", "tags"];
        let pick = |s: &str, max| closest(s, known.iter().map(|k| (*k, *k)), max);
        assert_eq!(pick("test", 3), Some("tests"));
        assert_eq!(pick("tits", 3), Some("tests"));
        assert_eq!(pick("tage", 1), Some("tags"));
        assert_eq!(pick("zzzzzzzz", 3), None);
        assert_eq!(pick(&"t".repeat(MAX_INPUT_CHARS + 1), 400), None);
    }
}
