
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mipset' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mipset'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mipset' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a family: N shards and the umbrella list:set that records it')
            [CompletionResult]::new('destroy', 'destroy', [CompletionResultType]::ParameterValue, 'Destroy a family (refuses while an iptables rule or set references it)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List families: type, address family, routing, shards, entries, memory, references')
            [CompletionResult]::new('flush', 'flush', [CompletionResultType]::ParameterValue, 'Remove every entry from every shard of a family (shard by shard)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add addresses (or networks, for hash:net) to a family')
            [CompletionResult]::new('del', 'del', [CompletionResultType]::ParameterValue, 'Delete addresses from a family')
            [CompletionResult]::new('load', 'load', [CompletionResultType]::ParameterValue, 'Add every entry of a list (file or stdin) to a family, in batches')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Make a family hold exactly the entries of a list (adds and deletes)')
            [CompletionResult]::new('resize', 'resize', [CompletionResultType]::ParameterValue, 'Change a family''s shard count or maxelem online; answers stay correct')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Recreate families from a `mipset save` (or whole-node `ipset save`) dump')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check that a family is what its metadata says (exit 0 healthy, 1 not)')
            [CompletionResult]::new('save', 'save', [CompletionResultType]::ParameterValue, 'Print a family as an `ipset save` dump that stock `ipset restore` recreates')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Test membership: exit 0 if the address is in the family, 1 if not')
            [CompletionResult]::new('which', 'which', [CompletionResultType]::ParameterValue, 'Show which shard(s) an address or network is stored in')
            [CompletionResult]::new('rule', 'rule', [CompletionResultType]::ParameterValue, 'Install, check, list and remove the iptables rules that match a family')
            [CompletionResult]::new('reconcile', 'reconcile', [CompletionResultType]::ParameterValue, 'Keep families and their rules as a configuration file says (a long-running reconciler)')
            [CompletionResult]::new('metrics', 'metrics', [CompletionResultType]::ParameterValue, 'Print Prometheus metrics of families (entries and fill per shard, memory)')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Measure one set against a family: lookup, insertion, deletion, policy evaluation')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff), or the page of one subcommand')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mipset;create' {
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Kernel set type of the shards')
            [CompletionResult]::new('--family', '--family', [CompletionResultType]::ParameterName, 'Address family of the shards')
            [CompletionResult]::new('--shards', '--shards', [CompletionResultType]::ParameterName, 'Number of shards: a power of two from 1 to 1024')
            [CompletionResult]::new('--route', '--route', [CompletionResultType]::ParameterName, 'How an address picks its shard: bits:S, hash (hash:ip) or auto (hash:net: chosen from the list that first fills the family) [default: bits:0 for hash:ip, auto for hash:net]')
            [CompletionResult]::new('--hashsize', '--hashsize', [CompletionResultType]::ParameterName, 'Initial hash size of the whole family, divided across the shards')
            [CompletionResult]::new('--maxelem', '--maxelem', [CompletionResultType]::ParameterName, 'Maximal number of entries of the family, as for one set; every shard may hold up to it, so a skewed list never fills one shard early')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Default entry timeout, e.g. 600, 10m or 1h30m (enables per-entry timeouts; 0 = permanent)')
            [CompletionResult]::new('--reduce', '--reduce', [CompletionResultType]::ParameterName, 'hash:net: store the entries'' addresses in fewer prefix lengths, so each packet costs fewer hash probes: off, auto, or PERCENT (how much the element count may grow, as `iprange --ipset-reduce`). See below')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--counters', '--counters', [CompletionResultType]::ParameterName, 'Keep packet and byte counters per entry')
            [CompletionResult]::new('--comment', '--comment', [CompletionResultType]::ParameterName, 'Allow a comment per entry')
            [CompletionResult]::new('--exist', '--exist', [CompletionResultType]::ParameterName, 'Succeed without change if an identical family exists')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;destroy' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'iptables backend for --rules (default: detected, see `mipset rule --help`)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Also destroy a damaged family (valid metadata, shards missing or out of order). Never touches sets in use or sets without mipset metadata')
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Remove mipset''s own iptables rules for the family first (see `mipset rule list`); rules of others still make destroy refuse')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;list' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'One summary line per family, without the table of shards')
            [CompletionResult]::new('--terse', '--terse', [CompletionResultType]::ParameterName, 'One summary line per family, without the table of shards')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;flush' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;add' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of these entries, e.g. 600, 10m, 1h30m (family created with --timeout)')
            [CompletionResult]::new('--comment', '--comment', [CompletionResultType]::ParameterName, 'Comment for these entries (family created with --comment)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--exist', '--exist', [CompletionResultType]::ParameterName, 'Do not fail on entries that are already there (and refresh their timeout/comment)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;del' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--exist', '--exist', [CompletionResultType]::ParameterName, 'Do not fail on entries that are not there')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;load' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan (adds, deletes, rebuilds per shard) and change nothing')
            [CompletionResult]::new('--atomic', '--atomic', [CompletionResultType]::ParameterName, 'Rebuild every changed shard, then swap them all in at the end')
            [CompletionResult]::new('--auto-grow', '--auto-grow', [CompletionResultType]::ParameterName, 'When a shard would pass its maxelem, double the shard count (each new shard keeping the maxelem) until the list fits, up to 1024 shards; see `mipset resize`. Rarely needed: every shard may hold the family''s maxelem, so only a list larger than it fills a shard')
            [CompletionResult]::new('--allow-empty', '--allow-empty', [CompletionResultType]::ParameterName, 'sync: accept an empty list (and so empty the family). Without it an empty list is refused, so a failed download cannot wipe a family')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;sync' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan (adds, deletes, rebuilds per shard) and change nothing')
            [CompletionResult]::new('--atomic', '--atomic', [CompletionResultType]::ParameterName, 'Rebuild every changed shard, then swap them all in at the end')
            [CompletionResult]::new('--auto-grow', '--auto-grow', [CompletionResultType]::ParameterName, 'When a shard would pass its maxelem, double the shard count (each new shard keeping the maxelem) until the list fits, up to 1024 shards; see `mipset resize`. Rarely needed: every shard may hold the family''s maxelem, so only a list larger than it fills a shard')
            [CompletionResult]::new('--allow-empty', '--allow-empty', [CompletionResultType]::ParameterName, 'sync: accept an empty list (and so empty the family). Without it an empty list is refused, so a failed download cannot wipe a family')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;resize' {
            [CompletionResult]::new('--shards', '--shards', [CompletionResultType]::ParameterName, 'New number of shards (a power of two from 1 to 1024)')
            [CompletionResult]::new('--maxelem', '--maxelem', [CompletionResultType]::ParameterName, 'New maxelem of the family (every shard may hold up to it, as in `create`)')
            [CompletionResult]::new('--route', '--route', [CompletionResultType]::ParameterName, 'Re-route online to bits:S, or auto (hash:net: the bits that spread what the family holds best); not together with --shards')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;restore' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--exist', '--exist', [CompletionResultType]::ParameterName, 'Merge into identical families that exist already')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;check' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--repair', '--repair', [CompletionResultType]::ParameterName, 'Fix what was found')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;save' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;test' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;which' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;rule' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Install a rule that matches the family (idempotent; repairs a stale one)')
            [CompletionResult]::new('del', 'del', [CompletionResultType]::ParameterValue, 'Remove mipset''s rule(s) for a family and their dispatch chains')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Exit 0 if the rule is installed and intact, 1 if absent, stale or damaged')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List mipset''s rules (all, or one family''s) with counters and state')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mipset;rule;add' {
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'The chain the rule goes in (INPUT, FORWARD, PREROUTING, a chain of yours)')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Which packet address is looked up in the family')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours... (RETURN only with --layout umbrella: in a dispatch chain it would return from mipset''s chain, not yours)')
            [CompletionResult]::new('--jump', '--jump', [CompletionResultType]::ParameterName, 'What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours... (RETURN only with --layout umbrella: in a dispatch chain it would return from mipset''s chain, not yours)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The table of the chain')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The table of the chain')
            [CompletionResult]::new('--layout', '--layout', [CompletionResultType]::ParameterName, 'Rule layout (see `mipset rule --help`); default: dispatch, which a hash-routed family cannot use (give --layout umbrella). Without it, del and check match a rule of any layout')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'iptables backend (default: detected)')
            [CompletionResult]::new('--position', '--position', [CompletionResultType]::ParameterName, 'Insert at this position in the chain (1 = first), like `iptables -I CHAIN N`; default: append. An existing rule stays where it is')
            [CompletionResult]::new('--comment', '--comment', [CompletionResultType]::ParameterName, 'Your own comment, kept after mipset''s marker (printable ASCII, no quotes)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;rule;del' {
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'The chain the rule goes in (INPUT, FORWARD, PREROUTING, a chain of yours)')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Which packet address is looked up in the family')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours... (RETURN only with --layout umbrella: in a dispatch chain it would return from mipset''s chain, not yours)')
            [CompletionResult]::new('--jump', '--jump', [CompletionResultType]::ParameterName, 'What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours... (RETURN only with --layout umbrella: in a dispatch chain it would return from mipset''s chain, not yours)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The table of the chain')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The table of the chain')
            [CompletionResult]::new('--layout', '--layout', [CompletionResultType]::ParameterName, 'Rule layout (see `mipset rule --help`); default: dispatch, which a hash-routed family cannot use (give --layout umbrella). Without it, del and check match a rule of any layout')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'iptables backend (default: detected)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Remove every mipset rule of the family (in every table and chain)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;rule;check' {
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'The chain the rule goes in (INPUT, FORWARD, PREROUTING, a chain of yours)')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Which packet address is looked up in the family')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours... (RETURN only with --layout umbrella: in a dispatch chain it would return from mipset''s chain, not yours)')
            [CompletionResult]::new('--jump', '--jump', [CompletionResultType]::ParameterName, 'What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours... (RETURN only with --layout umbrella: in a dispatch chain it would return from mipset''s chain, not yours)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The table of the chain')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The table of the chain')
            [CompletionResult]::new('--layout', '--layout', [CompletionResultType]::ParameterName, 'Rule layout (see `mipset rule --help`); default: dispatch, which a hash-routed family cannot use (give --layout umbrella). Without it, del and check match a rule of any layout')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'iptables backend (default: detected)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;rule;list' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'iptables backend (default: detected)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;rule;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Install a rule that matches the family (idempotent; repairs a stale one)')
            [CompletionResult]::new('del', 'del', [CompletionResultType]::ParameterValue, 'Remove mipset''s rule(s) for a family and their dispatch chains')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Exit 0 if the rule is installed and intact, 1 if absent, stale or damaged')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List mipset''s rules (all, or one family''s) with counters and state')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mipset;rule;help;add' {
            break
        }
        'mipset;rule;help;del' {
            break
        }
        'mipset;rule;help;check' {
            break
        }
        'mipset;rule;help;list' {
            break
        }
        'mipset;rule;help;help' {
            break
        }
        'mipset;reconcile' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--once', '--once', [CompletionResultType]::ParameterName, 'Apply every family once and exit (exit 4 if an apply failed)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;metrics' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'One summary line per family, without the table of shards')
            [CompletionResult]::new('--terse', '--terse', [CompletionResultType]::ParameterName, 'One summary line per family, without the table of shards')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;bench' {
            [CompletionResult]::new('--entries', '--entries', [CompletionResultType]::ParameterName, 'Set sizes, comma-separated (k = 1000, M = 1000000)')
            [CompletionResult]::new('--shards', '--shards', [CompletionResultType]::ParameterName, 'Shard counts of the families, comma-separated (powers of two)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Set type [default: hash:ip; hash:net with --list]')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'Measure on this list (addresses/CIDRs, one a line) instead of random addresses: a stock set, iprange-reduced sets and a family')
            [CompletionResult]::new('--family', '--family', [CompletionResultType]::ParameterName, 'Address family (inet6 has no packet method: only ::1 is reachable)')
            [CompletionResult]::new('--route', '--route', [CompletionResultType]::ParameterName, 'Routing (default: bits:0 for hash:ip, the type''s default otherwise; with --list as `mipset create`: auto for hash:net)')
            [CompletionResult]::new('--reduce', '--reduce', [CompletionResultType]::ParameterName, 'With --list: the family''s --reduce (off, auto or PERCENT) [default: auto for hash:net]')
            [CompletionResult]::new('--ops', '--ops', [CompletionResultType]::ParameterName, 'Timed operations per measurement (netlink; exec uses --exec-ops)')
            [CompletionResult]::new('--exec-ops', '--exec-ops', [CompletionResultType]::ParameterName, 'Processes per operation and side for the exec method (each takes ~1 ms)')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Stop each measurement after this long even if --ops are not done')
            [CompletionResult]::new('--warmup', '--warmup', [CompletionResultType]::ParameterName, 'Untimed operations first (exec: at most 5)')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'Methods, comma-separated: netlink, exec, packet, or all')
            [CompletionResult]::new('--layout', '--layout', [CompletionResultType]::ParameterName, 'Rule layout for the packet method (and the exec policy check); a hash-routed family (--route hash) needs --layout umbrella')
            [CompletionResult]::new('--packets', '--packets', [CompletionResultType]::ParameterName, 'Packets per timed packet-path run')
            [CompletionResult]::new('--rounds', '--rounds', [CompletionResultType]::ParameterName, 'Rounds of the packet method')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed of the generated addresses')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output on stdout')
            [CompletionResult]::new('--export', '--export', [CompletionResultType]::ParameterName, 'Also write the report to FILE, as JSON, CSV or Markdown by its extension (.json, .csv, .md)')
            [CompletionResult]::new('--plot', '--plot', [CompletionResultType]::ParameterName, 'Write an SVG plot of the latency distributions, single vs multi')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--no-scale', '--no-scale', [CompletionResultType]::ParameterName, 'Skip the growth/replace/memory measurements')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Tables with every column (each side''s from/to, p99.9), wider than 100 columns; the default table leaves them out (JSON, CSV and Markdown always hold everything)')
            [CompletionResult]::new('--in-place', '--in-place', [CompletionResultType]::ParameterName, 'Run in this network namespace instead of a private one (creates and removes sets and rules named mb*; refuses if they exist)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;completions' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;man' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another mipset that is changing this node''s sets: for ever, or at most SECONDS (like `iptables -w`). Without it, a held lock is an error at once (exit 5)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout (for scripts)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout; the exit status still tells the result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mipset;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a family: N shards and the umbrella list:set that records it')
            [CompletionResult]::new('destroy', 'destroy', [CompletionResultType]::ParameterValue, 'Destroy a family (refuses while an iptables rule or set references it)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List families: type, address family, routing, shards, entries, memory, references')
            [CompletionResult]::new('flush', 'flush', [CompletionResultType]::ParameterValue, 'Remove every entry from every shard of a family (shard by shard)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add addresses (or networks, for hash:net) to a family')
            [CompletionResult]::new('del', 'del', [CompletionResultType]::ParameterValue, 'Delete addresses from a family')
            [CompletionResult]::new('load', 'load', [CompletionResultType]::ParameterValue, 'Add every entry of a list (file or stdin) to a family, in batches')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Make a family hold exactly the entries of a list (adds and deletes)')
            [CompletionResult]::new('resize', 'resize', [CompletionResultType]::ParameterValue, 'Change a family''s shard count or maxelem online; answers stay correct')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Recreate families from a `mipset save` (or whole-node `ipset save`) dump')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check that a family is what its metadata says (exit 0 healthy, 1 not)')
            [CompletionResult]::new('save', 'save', [CompletionResultType]::ParameterValue, 'Print a family as an `ipset save` dump that stock `ipset restore` recreates')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Test membership: exit 0 if the address is in the family, 1 if not')
            [CompletionResult]::new('which', 'which', [CompletionResultType]::ParameterValue, 'Show which shard(s) an address or network is stored in')
            [CompletionResult]::new('rule', 'rule', [CompletionResultType]::ParameterValue, 'Install, check, list and remove the iptables rules that match a family')
            [CompletionResult]::new('reconcile', 'reconcile', [CompletionResultType]::ParameterValue, 'Keep families and their rules as a configuration file says (a long-running reconciler)')
            [CompletionResult]::new('metrics', 'metrics', [CompletionResultType]::ParameterValue, 'Print Prometheus metrics of families (entries and fill per shard, memory)')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Measure one set against a family: lookup, insertion, deletion, policy evaluation')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff), or the page of one subcommand')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mipset;help;create' {
            break
        }
        'mipset;help;destroy' {
            break
        }
        'mipset;help;list' {
            break
        }
        'mipset;help;flush' {
            break
        }
        'mipset;help;add' {
            break
        }
        'mipset;help;del' {
            break
        }
        'mipset;help;load' {
            break
        }
        'mipset;help;sync' {
            break
        }
        'mipset;help;resize' {
            break
        }
        'mipset;help;restore' {
            break
        }
        'mipset;help;check' {
            break
        }
        'mipset;help;save' {
            break
        }
        'mipset;help;test' {
            break
        }
        'mipset;help;which' {
            break
        }
        'mipset;help;rule' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Install a rule that matches the family (idempotent; repairs a stale one)')
            [CompletionResult]::new('del', 'del', [CompletionResultType]::ParameterValue, 'Remove mipset''s rule(s) for a family and their dispatch chains')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Exit 0 if the rule is installed and intact, 1 if absent, stale or damaged')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List mipset''s rules (all, or one family''s) with counters and state')
            break
        }
        'mipset;help;rule;add' {
            break
        }
        'mipset;help;rule;del' {
            break
        }
        'mipset;help;rule;check' {
            break
        }
        'mipset;help;rule;list' {
            break
        }
        'mipset;help;reconcile' {
            break
        }
        'mipset;help;metrics' {
            break
        }
        'mipset;help;bench' {
            break
        }
        'mipset;help;completions' {
            break
        }
        'mipset;help;man' {
            break
        }
        'mipset;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
