# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mipset_global_optspecs
    string join \n json q/quiet w/wait= h/help V/version
end

function __fish_mipset_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mipset_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mipset_using_subcommand
    set -l cmd (__fish_mipset_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mipset -n "__fish_mipset_needs_command" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_needs_command" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_needs_command" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mipset -n "__fish_mipset_needs_command" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "create" -d 'Create a family: N shards and the umbrella list:set that records it'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "destroy" -d 'Destroy a family (refuses while an iptables rule or set references it)'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "list" -d 'List families: type, address family, routing, shards, entries, memory, references'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "flush" -d 'Remove every entry from every shard of a family (shard by shard)'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "add" -d 'Add addresses (or networks, for hash:net) to a family'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "del" -d 'Delete addresses from a family'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "load" -d 'Add every entry of a list (file or stdin) to a family, in batches'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "sync" -d 'Make a family hold exactly the entries of a list (adds and deletes)'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "resize" -d 'Change a family\'s shard count or maxelem online; answers stay correct'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "restore" -d 'Recreate families from a `mipset save` (or whole-node `ipset save`) dump'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "check" -d 'Check that a family is what its metadata says (exit 0 healthy, 1 not)'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "save" -d 'Print a family as an `ipset save` dump that stock `ipset restore` recreates'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "test" -d 'Test membership: exit 0 if the address is in the family, 1 if not'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "which" -d 'Show which shard(s) an address or network is stored in'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "rule" -d 'Install, check, list and remove the iptables rules that match a family'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "reconcile" -d 'Keep families and their rules as a configuration file says (a long-running reconciler)'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "metrics" -d 'Print Prometheus metrics of families (entries and fill per shard, memory)'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "bench" -d 'Measure one set against a family: lookup, insertion, deletion, policy evaluation'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "man" -d 'Print the man page (roff), or the page of one subcommand'
complete -c mipset -n "__fish_mipset_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mipset -n "__fish_mipset_using_subcommand create" -l type -d 'Kernel set type of the shards' -r -f -a "hash:ip\t''
hash:net\t''"
complete -c mipset -n "__fish_mipset_using_subcommand create" -l family -d 'Address family of the shards' -r -f -a "inet\t''
inet6\t''"
complete -c mipset -n "__fish_mipset_using_subcommand create" -l shards -d 'Number of shards: a power of two from 1 to 1024' -r
complete -c mipset -n "__fish_mipset_using_subcommand create" -l route -d 'How an address picks its shard: bits:S, hash (hash:ip) or auto (hash:net: chosen from the list that first fills the family) [default: bits:0 for hash:ip, auto for hash:net]' -r
complete -c mipset -n "__fish_mipset_using_subcommand create" -l hashsize -d 'Initial hash size of the whole family, divided across the shards' -r
complete -c mipset -n "__fish_mipset_using_subcommand create" -l maxelem -d 'Maximal number of entries of the family, as for one set; every shard may hold up to it, so a skewed list never fills one shard early' -r
complete -c mipset -n "__fish_mipset_using_subcommand create" -l timeout -d 'Default entry timeout, e.g. 600, 10m or 1h30m (enables per-entry timeouts; 0 = permanent)' -r
complete -c mipset -n "__fish_mipset_using_subcommand create" -l reduce -d 'hash:net: store the entries\' addresses in fewer prefix lengths, so each packet costs fewer hash probes: off, auto, or PERCENT (how much the element count may grow, as `iprange --ipset-reduce`). See below' -r
complete -c mipset -n "__fish_mipset_using_subcommand create" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand create" -l counters -d 'Keep packet and byte counters per entry'
complete -c mipset -n "__fish_mipset_using_subcommand create" -l comment -d 'Allow a comment per entry'
complete -c mipset -n "__fish_mipset_using_subcommand create" -l exist -d 'Succeed without change if an identical family exists'
complete -c mipset -n "__fish_mipset_using_subcommand create" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand create" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand create" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand create" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand destroy" -l backend -d 'iptables backend for --rules (default: detected, see `mipset rule --help`)' -r -f -a "nft\t''
legacy\t''"
complete -c mipset -n "__fish_mipset_using_subcommand destroy" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand destroy" -l force -d 'Also destroy a damaged family (valid metadata, shards missing or out of order). Never touches sets in use or sets without mipset metadata'
complete -c mipset -n "__fish_mipset_using_subcommand destroy" -l rules -d 'Remove mipset\'s own iptables rules for the family first (see `mipset rule list`); rules of others still make destroy refuse'
complete -c mipset -n "__fish_mipset_using_subcommand destroy" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand destroy" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand destroy" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand destroy" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand list" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand list" -s t -l terse -d 'One summary line per family, without the table of shards'
complete -c mipset -n "__fish_mipset_using_subcommand list" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand list" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand list" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand list" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand flush" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand flush" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand flush" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand flush" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand flush" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand add" -l timeout -d 'Timeout of these entries, e.g. 600, 10m, 1h30m (family created with --timeout)' -r
complete -c mipset -n "__fish_mipset_using_subcommand add" -l comment -d 'Comment for these entries (family created with --comment)' -r
complete -c mipset -n "__fish_mipset_using_subcommand add" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand add" -l exist -d 'Do not fail on entries that are already there (and refresh their timeout/comment)'
complete -c mipset -n "__fish_mipset_using_subcommand add" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand add" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand add" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand add" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand del" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand del" -l exist -d 'Do not fail on entries that are not there'
complete -c mipset -n "__fish_mipset_using_subcommand del" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand del" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand del" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand del" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand load" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand load" -l dry-run -d 'Print the plan (adds, deletes, rebuilds per shard) and change nothing'
complete -c mipset -n "__fish_mipset_using_subcommand load" -l atomic -d 'Rebuild every changed shard, then swap them all in at the end'
complete -c mipset -n "__fish_mipset_using_subcommand load" -l auto-grow -d 'When a shard would pass its maxelem, double the shard count (each new shard keeping the maxelem) until the list fits, up to 1024 shards; see `mipset resize`. Rarely needed: every shard may hold the family\'s maxelem, so only a list larger than it fills a shard'
complete -c mipset -n "__fish_mipset_using_subcommand load" -l allow-empty -d 'sync: accept an empty list (and so empty the family). Without it an empty list is refused, so a failed download cannot wipe a family'
complete -c mipset -n "__fish_mipset_using_subcommand load" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand load" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand load" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand load" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand sync" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand sync" -l dry-run -d 'Print the plan (adds, deletes, rebuilds per shard) and change nothing'
complete -c mipset -n "__fish_mipset_using_subcommand sync" -l atomic -d 'Rebuild every changed shard, then swap them all in at the end'
complete -c mipset -n "__fish_mipset_using_subcommand sync" -l auto-grow -d 'When a shard would pass its maxelem, double the shard count (each new shard keeping the maxelem) until the list fits, up to 1024 shards; see `mipset resize`. Rarely needed: every shard may hold the family\'s maxelem, so only a list larger than it fills a shard'
complete -c mipset -n "__fish_mipset_using_subcommand sync" -l allow-empty -d 'sync: accept an empty list (and so empty the family). Without it an empty list is refused, so a failed download cannot wipe a family'
complete -c mipset -n "__fish_mipset_using_subcommand sync" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand sync" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand sync" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand sync" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand resize" -l shards -d 'New number of shards (a power of two from 1 to 1024)' -r
complete -c mipset -n "__fish_mipset_using_subcommand resize" -l maxelem -d 'New maxelem of the family (every shard may hold up to it, as in `create`)' -r
complete -c mipset -n "__fish_mipset_using_subcommand resize" -l route -d 'Re-route online to bits:S, or auto (hash:net: the bits that spread what the family holds best); not together with --shards' -r
complete -c mipset -n "__fish_mipset_using_subcommand resize" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand resize" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand resize" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand resize" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand resize" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand restore" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand restore" -l exist -d 'Merge into identical families that exist already'
complete -c mipset -n "__fish_mipset_using_subcommand restore" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand restore" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand restore" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand restore" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand check" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand check" -l repair -d 'Fix what was found'
complete -c mipset -n "__fish_mipset_using_subcommand check" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand check" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand check" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand check" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand save" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand save" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand save" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand save" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand save" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand test" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand test" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand test" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand test" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand test" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand which" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand which" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand which" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand which" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand which" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and not __fish_seen_subcommand_from add del check list help" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand rule; and not __fish_seen_subcommand_from add del check list help" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and not __fish_seen_subcommand_from add del check list help" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and not __fish_seen_subcommand_from add del check list help" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and not __fish_seen_subcommand_from add del check list help" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and not __fish_seen_subcommand_from add del check list help" -f -a "add" -d 'Install a rule that matches the family (idempotent; repairs a stale one)'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and not __fish_seen_subcommand_from add del check list help" -f -a "del" -d 'Remove mipset\'s rule(s) for a family and their dispatch chains'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and not __fish_seen_subcommand_from add del check list help" -f -a "check" -d 'Exit 0 if the rule is installed and intact, 1 if absent, stale or damaged'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and not __fish_seen_subcommand_from add del check list help" -f -a "list" -d 'List mipset\'s rules (all, or one family\'s) with counters and state'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and not __fish_seen_subcommand_from add del check list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from add" -l chain -d 'The chain the rule goes in (INPUT, FORWARD, PREROUTING, a chain of yours)' -r
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from add" -l match -d 'Which packet address is looked up in the family' -r -f -a "src\t''
dst\t''"
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from add" -s j -l jump -d 'What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours... (RETURN only with --layout umbrella: in a dispatch chain it would return from mipset\'s chain, not yours)' -r
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from add" -s t -l table -d 'The table of the chain' -r -f -a "filter\t''
raw\t''
mangle\t''
nat\t''
security\t''"
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from add" -l layout -d 'Rule layout (see `mipset rule --help`); default: dispatch, which a hash-routed family cannot use (give --layout umbrella). Without it, del and check match a rule of any layout' -r -f -a "dispatch\t''
twolevel\t''
tree\t''
linear\t''
umbrella\t''"
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from add" -l backend -d 'iptables backend (default: detected)' -r -f -a "nft\t''
legacy\t''"
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from add" -l position -d 'Insert at this position in the chain (1 = first), like `iptables -I CHAIN N`; default: append. An existing rule stays where it is' -r
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from add" -l comment -d 'Your own comment, kept after mipset\'s marker (printable ASCII, no quotes)' -r
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from add" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from add" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from del" -l chain -d 'The chain the rule goes in (INPUT, FORWARD, PREROUTING, a chain of yours)' -r
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from del" -l match -d 'Which packet address is looked up in the family' -r -f -a "src\t''
dst\t''"
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from del" -s j -l jump -d 'What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours... (RETURN only with --layout umbrella: in a dispatch chain it would return from mipset\'s chain, not yours)' -r
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from del" -s t -l table -d 'The table of the chain' -r -f -a "filter\t''
raw\t''
mangle\t''
nat\t''
security\t''"
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from del" -l layout -d 'Rule layout (see `mipset rule --help`); default: dispatch, which a hash-routed family cannot use (give --layout umbrella). Without it, del and check match a rule of any layout' -r -f -a "dispatch\t''
twolevel\t''
tree\t''
linear\t''
umbrella\t''"
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from del" -l backend -d 'iptables backend (default: detected)' -r -f -a "nft\t''
legacy\t''"
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from del" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from del" -l all -d 'Remove every mipset rule of the family (in every table and chain)'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from del" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from del" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from del" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from del" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from check" -l chain -d 'The chain the rule goes in (INPUT, FORWARD, PREROUTING, a chain of yours)' -r
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from check" -l match -d 'Which packet address is looked up in the family' -r -f -a "src\t''
dst\t''"
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from check" -s j -l jump -d 'What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours... (RETURN only with --layout umbrella: in a dispatch chain it would return from mipset\'s chain, not yours)' -r
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from check" -s t -l table -d 'The table of the chain' -r -f -a "filter\t''
raw\t''
mangle\t''
nat\t''
security\t''"
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from check" -l layout -d 'Rule layout (see `mipset rule --help`); default: dispatch, which a hash-routed family cannot use (give --layout umbrella). Without it, del and check match a rule of any layout' -r -f -a "dispatch\t''
twolevel\t''
tree\t''
linear\t''
umbrella\t''"
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from check" -l backend -d 'iptables backend (default: detected)' -r -f -a "nft\t''
legacy\t''"
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from check" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from check" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from list" -l backend -d 'iptables backend (default: detected)' -r -f -a "nft\t''
legacy\t''"
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from list" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from help" -f -a "add" -d 'Install a rule that matches the family (idempotent; repairs a stale one)'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from help" -f -a "del" -d 'Remove mipset\'s rule(s) for a family and their dispatch chains'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from help" -f -a "check" -d 'Exit 0 if the rule is installed and intact, 1 if absent, stale or damaged'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from help" -f -a "list" -d 'List mipset\'s rules (all, or one family\'s) with counters and state'
complete -c mipset -n "__fish_mipset_using_subcommand rule; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mipset -n "__fish_mipset_using_subcommand reconcile" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand reconcile" -l once -d 'Apply every family once and exit (exit 4 if an apply failed)'
complete -c mipset -n "__fish_mipset_using_subcommand reconcile" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand reconcile" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand reconcile" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand reconcile" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand metrics" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand metrics" -s t -l terse -d 'One summary line per family, without the table of shards'
complete -c mipset -n "__fish_mipset_using_subcommand metrics" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand metrics" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand metrics" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand metrics" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l entries -d 'Set sizes, comma-separated (k = 1000, M = 1000000)' -r
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l shards -d 'Shard counts of the families, comma-separated (powers of two)' -r
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l type -d 'Set type [default: hash:ip; hash:net with --list]' -r -f -a "hash:ip\t''
hash:net\t''"
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l list -d 'Measure on this list (addresses/CIDRs, one a line) instead of random addresses: a stock set, iprange-reduced sets and a family' -r -F
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l family -d 'Address family (inet6 has no packet method: only ::1 is reachable)' -r -f -a "inet\t''
inet6\t''"
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l route -d 'Routing (default: bits:0 for hash:ip, the type\'s default otherwise; with --list as `mipset create`: auto for hash:net)' -r
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l reduce -d 'With --list: the family\'s --reduce (off, auto or PERCENT) [default: auto for hash:net]' -r
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l ops -d 'Timed operations per measurement (netlink; exec uses --exec-ops)' -r
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l exec-ops -d 'Processes per operation and side for the exec method (each takes ~1 ms)' -r
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l duration -d 'Stop each measurement after this long even if --ops are not done' -r
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l warmup -d 'Untimed operations first (exec: at most 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l method -d 'Methods, comma-separated: netlink, exec, packet, or all' -r -f -a "netlink\t''
exec\t''
packet\t''
all\t''"
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l layout -d 'Rule layout for the packet method (and the exec policy check); a hash-routed family (--route hash) needs --layout umbrella' -r -f -a "dispatch\t''
twolevel\t''
tree\t''
linear\t''
umbrella\t''"
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l packets -d 'Packets per timed packet-path run' -r
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l rounds -d 'Rounds of the packet method' -r
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l seed -d 'Seed of the generated addresses' -r
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l format -d 'Output on stdout' -r -f -a "table\t''
json\t''
csv\t''
markdown\t''"
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l export -d 'Also write the report to FILE, as JSON, CSV or Markdown by its extension (.json, .csv, .md)' -r -F
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l plot -d 'Write an SVG plot of the latency distributions, single vs multi' -r -F
complete -c mipset -n "__fish_mipset_using_subcommand bench" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l no-scale -d 'Skip the growth/replace/memory measurements'
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l wide -d 'Tables with every column (each side\'s from/to, p99.9), wider than 100 columns; the default table leaves them out (JSON, CSV and Markdown always hold everything)'
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l in-place -d 'Run in this network namespace instead of a private one (creates and removes sets and rules named mb*; refuses if they exist)'
complete -c mipset -n "__fish_mipset_using_subcommand bench" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand bench" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand bench" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand bench" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand completions" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand completions" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand completions" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand completions" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand completions" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand man" -s w -l wait -d 'Wait for another mipset that is changing this node\'s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)' -r
complete -c mipset -n "__fish_mipset_using_subcommand man" -l json -d 'Print results as JSON on stdout (for scripts)'
complete -c mipset -n "__fish_mipset_using_subcommand man" -s q -l quiet -d 'Print nothing on stdout; the exit status still tells the result'
complete -c mipset -n "__fish_mipset_using_subcommand man" -s h -l help -d 'Print help'
complete -c mipset -n "__fish_mipset_using_subcommand man" -s V -l version -d 'Print version'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "create" -d 'Create a family: N shards and the umbrella list:set that records it'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "destroy" -d 'Destroy a family (refuses while an iptables rule or set references it)'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "list" -d 'List families: type, address family, routing, shards, entries, memory, references'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "flush" -d 'Remove every entry from every shard of a family (shard by shard)'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "add" -d 'Add addresses (or networks, for hash:net) to a family'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "del" -d 'Delete addresses from a family'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "load" -d 'Add every entry of a list (file or stdin) to a family, in batches'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "sync" -d 'Make a family hold exactly the entries of a list (adds and deletes)'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "resize" -d 'Change a family\'s shard count or maxelem online; answers stay correct'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "restore" -d 'Recreate families from a `mipset save` (or whole-node `ipset save`) dump'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "check" -d 'Check that a family is what its metadata says (exit 0 healthy, 1 not)'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "save" -d 'Print a family as an `ipset save` dump that stock `ipset restore` recreates'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "test" -d 'Test membership: exit 0 if the address is in the family, 1 if not'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "which" -d 'Show which shard(s) an address or network is stored in'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "rule" -d 'Install, check, list and remove the iptables rules that match a family'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "reconcile" -d 'Keep families and their rules as a configuration file says (a long-running reconciler)'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "metrics" -d 'Print Prometheus metrics of families (entries and fill per shard, memory)'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "bench" -d 'Measure one set against a family: lookup, insertion, deletion, policy evaluation'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "man" -d 'Print the man page (roff), or the page of one subcommand'
complete -c mipset -n "__fish_mipset_using_subcommand help; and not __fish_seen_subcommand_from create destroy list flush add del load sync resize restore check save test which rule reconcile metrics bench completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mipset -n "__fish_mipset_using_subcommand help; and __fish_seen_subcommand_from rule" -f -a "add" -d 'Install a rule that matches the family (idempotent; repairs a stale one)'
complete -c mipset -n "__fish_mipset_using_subcommand help; and __fish_seen_subcommand_from rule" -f -a "del" -d 'Remove mipset\'s rule(s) for a family and their dispatch chains'
complete -c mipset -n "__fish_mipset_using_subcommand help; and __fish_seen_subcommand_from rule" -f -a "check" -d 'Exit 0 if the rule is installed and intact, 1 if absent, stale or damaged'
complete -c mipset -n "__fish_mipset_using_subcommand help; and __fish_seen_subcommand_from rule" -f -a "list" -d 'List mipset\'s rules (all, or one family\'s) with counters and state'
