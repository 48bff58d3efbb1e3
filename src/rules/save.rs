//! Reading `iptables-save -c` output back (pure): tables, chains, rules
//! with their counters, and the words and comment of a rule.

/// One rule line of an `iptables-save -c` dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedRule {
    pub chain: String,
    /// Everything after `-A CHAIN `.
    pub args: String,
    pub packets: u64,
    pub bytes: u64,
}

/// One table of an `iptables-save -c` dump.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SavedTable {
    pub name: String,
    pub chains: Vec<String>,
    pub rules: Vec<SavedRule>,
}

impl SavedTable {
    pub fn rules_of<'a>(&'a self, chain: &'a str) -> impl Iterator<Item = &'a SavedRule> + 'a {
        self.rules.iter().filter(move |r| r.chain == chain)
    }
}

/// iptables-save spells out REJECT's default `--reject-with` (icmp- or
/// icmp6-port-unreachable), which mipset's plan for `--jump REJECT` does
/// not: read back as written, so a REJECT rule is mipset's and intact.
fn without_default_reject(args: &str) -> &str {
    ["icmp-port-unreachable", "icmp6-port-unreachable"]
        .iter()
        .find_map(|default| {
            args.strip_suffix(default)?
                .strip_suffix(" --reject-with ")?
                .ends_with("-j REJECT")
                .then(|| &args[..args.len() - default.len() - " --reject-with ".len()])
        })
        .unwrap_or(args)
}

/// Parse `iptables-save -c` output (counters as `[P:B]` prefixes, or none).
pub fn parse_save(text: &str) -> Vec<SavedTable> {
    let mut tables: Vec<SavedTable> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix('*') {
            tables.push(SavedTable {
                name: name.to_string(),
                ..Default::default()
            });
            continue;
        }
        let Some(table) = tables.last_mut() else {
            continue;
        };
        if let Some(decl) = line.strip_prefix(':') {
            if let Some(name) = decl.split(' ').next() {
                table.chains.push(name.to_string());
            }
            continue;
        }
        let (packets, bytes, rest) = match line.strip_prefix('[') {
            Some(counted) => {
                let Some((counters, rest)) = counted.split_once("] ") else {
                    continue;
                };
                let (p, b) = counters.split_once(':').unwrap_or(("0", "0"));
                (p.parse().unwrap_or(0), b.parse().unwrap_or(0), rest)
            }
            None => (0, 0, line),
        };
        if let Some(rule) = rest.strip_prefix("-A ") {
            let (chain, args) = rule.split_once(' ').unwrap_or((rule, ""));
            table.rules.push(SavedRule {
                chain: chain.to_string(),
                args: without_default_reject(args).to_string(),
                packets,
                bytes,
            });
        }
    }
    tables
}

/// Split a rule as iptables prints it into arguments (double quotes group
/// words, as in `--comment "a b"`).
pub fn split_words(rule: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in rule.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// The text of a rule's `--comment`, if it has one.
pub fn comment_of(args: &str) -> Option<&str> {
    let rest = &args[args.find("--comment ")? + "--comment ".len()..];
    match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next(),
        None => rest.split(' ').next(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_words_keep_quoted_comments() {
        assert_eq!(
            split_words("-A X -m comment --comment \"a b\"  -j Y"),
            vec!["-A", "X", "-m", "comment", "--comment", "a b", "-j", "Y"]
        );
    }

    #[test]
    fn save_output_is_read_with_counters() {
        let text = "# Generated\n*raw\n:PREROUTING ACCEPT [5:300]\n:mipset-1 - [0:0]\n[7:420] -A PREROUTING -m comment --comment \"mipset family=web match=dst jump=DROP layout=tree\" -j mipset-1\n[3:180] -A mipset-1 -m set --match-set web-s0 dst -j DROP\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n";
        let t = parse_save(text);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].chains, ["PREROUTING", "mipset-1"]);
        assert_eq!(t[0].rules[0].packets, 7);
        assert_eq!(t[0].rules_of("mipset-1").next().unwrap().bytes, 180);
        assert_eq!(
            comment_of(&t[0].rules[0].args),
            Some("mipset family=web match=dst jump=DROP layout=tree")
        );
        assert_eq!(t[1].rules[0].args, "-j ACCEPT");
        assert_eq!(comment_of("-m comment --comment plain -j X"), Some("plain"));
    }

    #[test]
    fn rejects_default_is_read_as_mipset_writes_it() {
        let text = "*filter\n:mipset-1 - [0:0]\n-A mipset-1 -m set --match-set a-s0 src -j REJECT --reject-with icmp-port-unreachable\n-A mipset-1 -m set --match-set b-s0 src -j REJECT --reject-with icmp6-port-unreachable\n-A mipset-1 -j REJECT --reject-with tcp-reset\n-A mipset-1 -j X --reject-with icmp-port-unreachable\nCOMMIT\n";
        let args: Vec<String> = parse_save(text)[0]
            .rules
            .iter()
            .map(|r| r.args.clone())
            .collect();
        assert_eq!(
            args,
            [
                "-m set --match-set a-s0 src -j REJECT",
                "-m set --match-set b-s0 src -j REJECT",
                "-j REJECT --reject-with tcp-reset",
                "-j X --reject-with icmp-port-unreachable",
            ]
        );
    }
}
