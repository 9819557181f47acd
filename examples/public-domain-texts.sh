#!/usr/bin/env bash
# Writes public-domain English prose from Debian packages to one text file, for a recipe's synth.train_texts
# (sentences spoken in training only, never held out: text diversity beyond stories260K's own stories):
#   dict-devil   Ambrose Bierce, The Devil's Dictionary (1911; "A Public Domain Text, Copyright Expired")
#   dict-jargon  The Jargon File 4.4.7 ("The Jargon File is in the public domain")
# Each package's debian/copyright says so; the file keeps both notices at its top. The packages are fetched with
# `apt-get download` (no install, no root needed) into WORK_DIR.
#
#   examples/public-domain-texts.sh [OUT_FILE] [WORK_DIR]
set -euo pipefail
out="${1:-${TMPDIR:-/tmp}/auris-pd-texts/prose.txt}"
work="${2:-${TMPDIR:-/tmp}/auris-pd-texts}"
mkdir -p "$work/debs" "$work/root" "$(dirname "$out")"
cd "$work/debs"
for p in dict-devil dict-jargon; do
  ls ${p}_*.deb >/dev/null 2>&1 || apt-get download "$p" || { echo "public-domain-texts: cannot download $p (apt-get update first?)" >&2; exit 1; }
  dpkg -x ${p}_*.deb "$work/root"
done
tmp="$out.partial"
{
  grep -h -i "public domain" "$work/root/usr/share/doc/dict-devil/copyright" "$work/root/usr/share/doc/dict-jargon/copyright" | sed 's/^/# /'
  for d in devil jargon; do
    # dictd entries: drop the database's own header entries (00-database-*), keep the definitions' prose
    zcat "$work/root/usr/share/dictd/$d.dict.dz" | sed -e '/^00-database/,/^$/d' -e 's/{\([^}]*\)}/\1/g'
  done
} > "$tmp"
mv "$tmp" "$out"
echo "public-domain-texts: $(wc -w < "$out") words in $out" >&2
