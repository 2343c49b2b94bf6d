#!/bin/bash
# Two network namespaces joined by a veth pair (needs root): node A (validator) and node B find
# each other by mDNS; B's address changes; prints the largest height lag over the next 40 s.
# Run as root: bash scripts/lan-ip-change.sh (creates and deletes namespaces ipa/ipb, uses /tmp/ipchg).
set -u
D=/tmp/ipchg; rm -rf $D; mkdir -p $D
cleanup () { for p in $(cat $D/pids 2>/dev/null); do kill -INT -- -$p 2>/dev/null; done; sleep 3; ip netns del ipa 2>/dev/null; ip netns del ipb 2>/dev/null; }
trap cleanup EXIT
ip netns add ipa; ip netns add ipb
ip link add va type veth peer name vb
ip link set va netns ipa; ip link set vb netns ipb
ip -n ipa addr add 10.88.0.1/24 dev va; ip -n ipb addr add 10.88.0.2/24 dev vb
for n in ipa ipb; do ip -n $n link set lo up; done
ip -n ipa link set va up; ip -n ipb link set vb up
ip -n ipa route add 224.0.0.0/4 dev va; ip -n ipb route add 224.0.0.0/4 dev vb
cd "$(dirname "$0")/.."
npx memecoin init --dir $D/a --validators 1 --slot-ms 500 > /dev/null
mkdir -p $D/b; cp $D/a/genesis.json $D/b/
ip netns exec ipa setsid npx memecoin start --dir $D/a --validator-key $D/a/validators/validator-0.json --password-file $D/a/password --api 127.0.0.1:7501 > $D/a.log 2>&1 & echo $! >> $D/pids
ip netns exec ipb setsid npx memecoin start --dir $D/b --api 127.0.0.1:7502 > $D/b.log 2>&1 & echo $! >> $D/pids
h () { ip netns exec $1 curl -s 127.0.0.1:$2/status | python3 -c 'import sys,json; d=json.load(sys.stdin); print(d.get("height"), d.get("peers"))' 2>/dev/null; }
for i in $(seq 1 40); do sleep 1; [ "$(h ipb 7502 | awk '{print $2}')" = "1" ] && break; done
sleep 5
echo "before: A $(h ipa 7501) B $(h ipb 7502)"
ip -n ipb addr del 10.88.0.2/24 dev vb; ip -n ipb addr add 10.88.0.12/24 dev vb; ip -n ipb route replace 224.0.0.0/4 dev vb
T0=$(date +%s.%N); : > /tmp/ipchg.trace
for i in $(seq 1 80); do sleep 0.5; echo "$(echo "$(date +%s.%N) - $T0" | bc) $(h ipa 7501 | awk '{print $1}') $(h ipb 7502 | awk '{print $1}')" >> /tmp/ipchg.trace; done
python3 - <<'PY'
rows=[l.split() for l in open('/tmp/ipchg.trace') if len(l.split())==3]
lag=[(float(t),int(a)-int(b)) for t,a,b in rows]
print('max lag', max(l for _,l in lag), 'blocks; last time lag>2 at', max([t for t,l in lag if l>2] or [0]), 's after the change; samples', len(lag))
PY
sleep 3
echo "after: A $(h ipa 7501) B $(h ipb 7502)"
grep -h "local address went away" $D/b.log | head -2
