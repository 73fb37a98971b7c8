#!/usr/bin/env bash
# test_tables.sh - parameter tables indexed by an enum cannot drift from it.
# The qemu target's tables are designated initializers ([QP_PAGES] = ...);
# the sim's (params.def) and the host's are positional, so this checks that
# the Nth row's name is the Nth enumerator's (P_<NAME>, HP_<NAME>), and the
# C test test_registry checks every slot of every target has a unique name.
. "$(dirname "$0")/../lib.sh"

# enumerators of ENUM in FILE, up to the count (X_NPARAMS), prefix stripped
enum_names() { # FILE ENUM PREFIX
	sed -n "/^enum $2 {/,/^};/p" "$1" | grep -oE "^[[:space:]]+$3[A-Z0-9_]+" |
		sed "s/^[[:space:]]*$3//" | grep -v 'NPARAMS$'
}
upper() { tr 'a-z' 'A-Z'; }

check() { # NAME ENUMFILE ENUM PREFIX (row names on stdin, in table order)
	local name=$1 want have
	have=$(upper)
	want=$(enum_names "$2" "$3" "$4")
	if [ -z "$want" ] || [ -z "$have" ]; then
		not_ok "$name" "could not read the enum or the table"
	elif [ "$want" = "$have" ]; then
		ok "$name: $(wc -l <<<"$want") rows in enum order"
	else
		not_ok "$name" "$(diff <(echo "$want") <(echo "$have") | grep '^[<>]' | head -4 | tr '\n' ' ')"
	fi
}

grep -oE '^[[:space:]]*[BIRE]\("[a-z0-9_]+"' "$root/targets/sim/params.def" | grep -oE '"[a-z0-9_]+"' | tr -d '"' |
	check "sim: params.def rows follow enum sim_param" "$root/targets/sim/sim.h" sim_param P_

sed -n '/^static const struct param_def host_params/,/^};/p' "$root/targets/host/host.c" |
	grep -oE '^[[:space:]]*(\[[A-Z_]+\] = )?(I\(|\{)"[a-z0-9_]+"' | grep -oE '"[a-z0-9_]+"' | tr -d '"' |
	check "host: host_params rows follow enum host_param" "$root/targets/host/host.h" host_param HP_

# a planted swap is caught (the check is not vacuous)
printf 'pages\npasses\n' | { out=$(check x "$root/targets/qemu/qemu.h" qemu_param QP_); [[ $out == "not ok"* ]]; } &&
	ok "a swapped row is caught" || not_ok "a swapped row is caught" "the check passed a swap"

exit $failed
