
use builtin;
use str;

set edit:completion:arg-completer[mipset] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mipset'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mipset'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Create a family: N shards and the umbrella list:set that records it'
            cand destroy 'Destroy a family (refuses while an iptables rule or set references it)'
            cand list 'List families: type, address family, routing, shards, entries, memory, references'
            cand flush 'Remove every entry from every shard of a family (shard by shard)'
            cand add 'Add addresses (or networks, for hash:net) to a family'
            cand del 'Delete addresses from a family'
            cand load 'Add every entry of a list (file or stdin) to a family, in batches'
            cand sync 'Make a family hold exactly the entries of a list (adds and deletes)'
            cand resize 'Change a family''s shard count or maxelem online; answers stay correct'
            cand restore 'Recreate families from a `mipset save` (or whole-node `ipset save`) dump'
            cand check 'Check that a family is what its metadata says (exit 0 healthy, 1 not)'
            cand save 'Print a family as an `ipset save` dump that stock `ipset restore` recreates'
            cand test 'Test membership: exit 0 if the address is in the family, 1 if not'
            cand which 'Show which shard(s) an address or network is stored in'
            cand rule 'Install, check, list and remove the iptables rules that match a family'
            cand reconcile 'Keep families and their rules as a configuration file says (a long-running reconciler)'
            cand metrics 'Print Prometheus metrics of families (entries and fill per shard, memory)'
            cand bench 'Measure one set against a family: lookup, insertion, deletion, policy evaluation'
            cand completions 'Print a shell completion script'
            cand man 'Print the man page (roff), or the page of one subcommand'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mipset;create'= {
            cand --type 'Kernel set type of the shards'
            cand --family 'Address family of the shards'
            cand --shards 'Number of shards: a power of two from 1 to 1024'
            cand --route 'How an address picks its shard: bits:S, hash (hash:ip) or auto (hash:net: chosen from the list that first fills the family) [default: bits:0 for hash:ip, auto for hash:net]'
            cand --hashsize 'Initial hash size of the whole family, divided across the shards'
            cand --maxelem 'Maximal number of entries of the family, as for one set; every shard may hold up to it, so a skewed list never fills one shard early'
            cand --timeout 'Default entry timeout, e.g. 600, 10m or 1h30m (enables per-entry timeouts; 0 = permanent)'
            cand --reduce 'hash:net: store the entries'' addresses in fewer prefix lengths, so each packet costs fewer hash probes: off, auto, or PERCENT (how much the element count may grow, as `iprange --ipset-reduce`). See below'
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --counters 'Keep packet and byte counters per entry'
            cand --comment 'Allow a comment per entry'
            cand --exist 'Succeed without change if an identical family exists'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;destroy'= {
            cand --backend 'iptables backend for --rules (default: detected, see `mipset rule --help`)'
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --force 'Also destroy a damaged family (valid metadata, shards missing or out of order). Never touches sets in use or sets without mipset metadata'
            cand --rules 'Remove mipset''s own iptables rules for the family first (see `mipset rule list`); rules of others still make destroy refuse'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;list'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand -t 'One summary line per family, without the table of shards'
            cand --terse 'One summary line per family, without the table of shards'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;flush'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;add'= {
            cand --timeout 'Timeout of these entries, e.g. 600, 10m, 1h30m (family created with --timeout)'
            cand --comment 'Comment for these entries (family created with --comment)'
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --exist 'Do not fail on entries that are already there (and refresh their timeout/comment)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;del'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --exist 'Do not fail on entries that are not there'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;load'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --dry-run 'Print the plan (adds, deletes, rebuilds per shard) and change nothing'
            cand --atomic 'Rebuild every changed shard, then swap them all in at the end'
            cand --auto-grow 'When a shard would pass its maxelem, double the shard count (each new shard keeping the maxelem) until the list fits, up to 1024 shards; see `mipset resize`. Rarely needed: every shard may hold the family''s maxelem, so only a list larger than it fills a shard'
            cand --allow-empty 'sync: accept an empty list (and so empty the family). Without it an empty list is refused, so a failed download cannot wipe a family'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;sync'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --dry-run 'Print the plan (adds, deletes, rebuilds per shard) and change nothing'
            cand --atomic 'Rebuild every changed shard, then swap them all in at the end'
            cand --auto-grow 'When a shard would pass its maxelem, double the shard count (each new shard keeping the maxelem) until the list fits, up to 1024 shards; see `mipset resize`. Rarely needed: every shard may hold the family''s maxelem, so only a list larger than it fills a shard'
            cand --allow-empty 'sync: accept an empty list (and so empty the family). Without it an empty list is refused, so a failed download cannot wipe a family'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;resize'= {
            cand --shards 'New number of shards (a power of two from 1 to 1024)'
            cand --maxelem 'New maxelem of the family (every shard may hold up to it, as in `create`)'
            cand --route 'Re-route online to bits:S, or auto (hash:net: the bits that spread what the family holds best); not together with --shards'
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;restore'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --exist 'Merge into identical families that exist already'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;check'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --repair 'Fix what was found'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;save'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;test'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;which'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;rule'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand add 'Install a rule that matches the family (idempotent; repairs a stale one)'
            cand del 'Remove mipset''s rule(s) for a family and their dispatch chains'
            cand check 'Exit 0 if the rule is installed and intact, 1 if absent, stale or damaged'
            cand list 'List mipset''s rules (all, or one family''s) with counters and state'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mipset;rule;add'= {
            cand --chain 'The chain the rule goes in (INPUT, FORWARD, PREROUTING, a chain of yours)'
            cand --match 'Which packet address is looked up in the family'
            cand -j 'What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours... (RETURN only with --layout umbrella: in a dispatch chain it would return from mipset''s chain, not yours)'
            cand --jump 'What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours... (RETURN only with --layout umbrella: in a dispatch chain it would return from mipset''s chain, not yours)'
            cand -t 'The table of the chain'
            cand --table 'The table of the chain'
            cand --layout 'Rule layout (see `mipset rule --help`); default: dispatch, which a hash-routed family cannot use (give --layout umbrella). Without it, del and check match a rule of any layout'
            cand --backend 'iptables backend (default: detected)'
            cand --position 'Insert at this position in the chain (1 = first), like `iptables -I CHAIN N`; default: append. An existing rule stays where it is'
            cand --comment 'Your own comment, kept after mipset''s marker (printable ASCII, no quotes)'
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;rule;del'= {
            cand --chain 'The chain the rule goes in (INPUT, FORWARD, PREROUTING, a chain of yours)'
            cand --match 'Which packet address is looked up in the family'
            cand -j 'What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours... (RETURN only with --layout umbrella: in a dispatch chain it would return from mipset''s chain, not yours)'
            cand --jump 'What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours... (RETURN only with --layout umbrella: in a dispatch chain it would return from mipset''s chain, not yours)'
            cand -t 'The table of the chain'
            cand --table 'The table of the chain'
            cand --layout 'Rule layout (see `mipset rule --help`); default: dispatch, which a hash-routed family cannot use (give --layout umbrella). Without it, del and check match a rule of any layout'
            cand --backend 'iptables backend (default: detected)'
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --all 'Remove every mipset rule of the family (in every table and chain)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;rule;check'= {
            cand --chain 'The chain the rule goes in (INPUT, FORWARD, PREROUTING, a chain of yours)'
            cand --match 'Which packet address is looked up in the family'
            cand -j 'What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours... (RETURN only with --layout umbrella: in a dispatch chain it would return from mipset''s chain, not yours)'
            cand --jump 'What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours... (RETURN only with --layout umbrella: in a dispatch chain it would return from mipset''s chain, not yours)'
            cand -t 'The table of the chain'
            cand --table 'The table of the chain'
            cand --layout 'Rule layout (see `mipset rule --help`); default: dispatch, which a hash-routed family cannot use (give --layout umbrella). Without it, del and check match a rule of any layout'
            cand --backend 'iptables backend (default: detected)'
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;rule;list'= {
            cand --backend 'iptables backend (default: detected)'
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;rule;help'= {
            cand add 'Install a rule that matches the family (idempotent; repairs a stale one)'
            cand del 'Remove mipset''s rule(s) for a family and their dispatch chains'
            cand check 'Exit 0 if the rule is installed and intact, 1 if absent, stale or damaged'
            cand list 'List mipset''s rules (all, or one family''s) with counters and state'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mipset;rule;help;add'= {
        }
        &'mipset;rule;help;del'= {
        }
        &'mipset;rule;help;check'= {
        }
        &'mipset;rule;help;list'= {
        }
        &'mipset;rule;help;help'= {
        }
        &'mipset;reconcile'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --once 'Apply every family once and exit (exit 4 if an apply failed)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;metrics'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand -t 'One summary line per family, without the table of shards'
            cand --terse 'One summary line per family, without the table of shards'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;bench'= {
            cand --entries 'Set sizes, comma-separated (k = 1000, M = 1000000)'
            cand --shards 'Shard counts of the families, comma-separated (powers of two)'
            cand --type 'Set type [default: hash:ip; hash:net with --list]'
            cand --list 'Measure on this list (addresses/CIDRs, one a line) instead of random addresses: a stock set, iprange-reduced sets and a family'
            cand --family 'Address family (inet6 has no packet method: only ::1 is reachable)'
            cand --route 'Routing (default: bits:0 for hash:ip, the type''s default otherwise; with --list as `mipset create`: auto for hash:net)'
            cand --reduce 'With --list: the family''s --reduce (off, auto or PERCENT) [default: auto for hash:net]'
            cand --ops 'Timed operations per measurement (netlink; exec uses --exec-ops)'
            cand --exec-ops 'Processes per operation and side for the exec method (each takes ~1 ms)'
            cand --duration 'Stop each measurement after this long even if --ops are not done'
            cand --warmup 'Untimed operations first (exec: at most 5)'
            cand --method 'Methods, comma-separated: netlink, exec, packet, or all'
            cand --layout 'Rule layout for the packet method (and the exec policy check); a hash-routed family (--route hash) needs --layout umbrella'
            cand --packets 'Packets per timed packet-path run'
            cand --rounds 'Rounds of the packet method'
            cand --seed 'Seed of the generated addresses'
            cand --format 'Output on stdout'
            cand --export 'Also write the report to FILE, as JSON, CSV or Markdown by its extension (.json, .csv, .md)'
            cand --plot 'Write an SVG plot of the latency distributions, single vs multi'
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --no-scale 'Skip the growth/replace/memory measurements'
            cand --wide 'Tables with every column (each side''s from/to, p99.9), wider than 100 columns; the default table leaves them out (JSON, CSV and Markdown always hold everything)'
            cand --in-place 'Run in this network namespace instead of a private one (creates and removes sets and rules named mb*; refuses if they exist)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;completions'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;man'= {
            cand -w 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --wait 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)'
            cand --json 'Print results as JSON on stdout (for scripts)'
            cand -q 'Print nothing on stdout; the exit status still tells the result'
            cand --quiet 'Print nothing on stdout; the exit status still tells the result'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mipset;help'= {
            cand create 'Create a family: N shards and the umbrella list:set that records it'
            cand destroy 'Destroy a family (refuses while an iptables rule or set references it)'
            cand list 'List families: type, address family, routing, shards, entries, memory, references'
            cand flush 'Remove every entry from every shard of a family (shard by shard)'
            cand add 'Add addresses (or networks, for hash:net) to a family'
            cand del 'Delete addresses from a family'
            cand load 'Add every entry of a list (file or stdin) to a family, in batches'
            cand sync 'Make a family hold exactly the entries of a list (adds and deletes)'
            cand resize 'Change a family''s shard count or maxelem online; answers stay correct'
            cand restore 'Recreate families from a `mipset save` (or whole-node `ipset save`) dump'
            cand check 'Check that a family is what its metadata says (exit 0 healthy, 1 not)'
            cand save 'Print a family as an `ipset save` dump that stock `ipset restore` recreates'
            cand test 'Test membership: exit 0 if the address is in the family, 1 if not'
            cand which 'Show which shard(s) an address or network is stored in'
            cand rule 'Install, check, list and remove the iptables rules that match a family'
            cand reconcile 'Keep families and their rules as a configuration file says (a long-running reconciler)'
            cand metrics 'Print Prometheus metrics of families (entries and fill per shard, memory)'
            cand bench 'Measure one set against a family: lookup, insertion, deletion, policy evaluation'
            cand completions 'Print a shell completion script'
            cand man 'Print the man page (roff), or the page of one subcommand'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mipset;help;create'= {
        }
        &'mipset;help;destroy'= {
        }
        &'mipset;help;list'= {
        }
        &'mipset;help;flush'= {
        }
        &'mipset;help;add'= {
        }
        &'mipset;help;del'= {
        }
        &'mipset;help;load'= {
        }
        &'mipset;help;sync'= {
        }
        &'mipset;help;resize'= {
        }
        &'mipset;help;restore'= {
        }
        &'mipset;help;check'= {
        }
        &'mipset;help;save'= {
        }
        &'mipset;help;test'= {
        }
        &'mipset;help;which'= {
        }
        &'mipset;help;rule'= {
            cand add 'Install a rule that matches the family (idempotent; repairs a stale one)'
            cand del 'Remove mipset''s rule(s) for a family and their dispatch chains'
            cand check 'Exit 0 if the rule is installed and intact, 1 if absent, stale or damaged'
            cand list 'List mipset''s rules (all, or one family''s) with counters and state'
        }
        &'mipset;help;rule;add'= {
        }
        &'mipset;help;rule;del'= {
        }
        &'mipset;help;rule;check'= {
        }
        &'mipset;help;rule;list'= {
        }
        &'mipset;help;reconcile'= {
        }
        &'mipset;help;metrics'= {
        }
        &'mipset;help;bench'= {
        }
        &'mipset;help;completions'= {
        }
        &'mipset;help;man'= {
        }
        &'mipset;help;help'= {
        }
    ]
    $completions[$command]
}
