#!/usr/bin/env bash
# Evaluates a speech LLM (default models/tiny) on real recorded human speech from Debian packages, none of
# it synthesized and none of it heard in training:
#   alsa-utils            /usr/share/sounds/alsa/*.wav: a woman naming speaker channels ("Front Left", ...)
#   pocketsphinx-testdata LibriVox (Sense and Sensibility, public domain) sentences and "cards" commands
#   asterisk-core-sounds-en(-wav) Allison Smith's telephone prompts (8 kHz, CC-BY-SA 3.0) with the package's own
#                         transcripts (core-sounds-en.txt); prompts with digits, tones or a transcript over 20 words
#                         are left out (a digit is read as a word the transcript does not spell)
#   assets/speech/jfk.wav the bundled clip (public domain)
# Each clip's manifest line names its source in the voice field, so the report gives WER per source.
# The packages are fetched with `apt-get download` (no install, no root needed) into $WORK and unpacked
# there; the manifest is $WORK/real/asr.jsonl and the report lands in $WORK/report.
#
#   examples/real-speech.sh [MODEL_DIR] [WORK_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
model="${1:-$here/models/tiny}"
work="${2:-${TMPDIR:-/tmp}/auris-real-speech}"
mkdir -p "$work/debs" "$work/root" "$work/real"
cd "$work/debs"
for p in alsa-utils pocketsphinx-testdata asterisk-core-sounds-en asterisk-core-sounds-en-wav; do
  ls ${p}_*.deb >/dev/null 2>&1 || apt-get download "$p" || { echo "real-speech: cannot download $p (apt-get update first?)" >&2; exit 1; }
  dpkg -x ${p}_*.deb "$work/root"
done
alsa="$work/root/usr/share/sounds/alsa"
psx="$work/root/usr/share/pocketsphinx/test/data"
out="$work/real/asr.jsonl"
: > "$out"
line() { # SOURCE audio transcript
  local text="${3//\\/\\\\}"; text="${text//\"/\\\"}"
  printf '{"task":"asr","voice":"%s","messages":[{"role":"user","content":[{"audio":"%s"},{"text":"Transcribe the speech into text."}]},{"role":"assistant","content":"%s"}]}\n' "$1" "$2" "$text" >> "$out"
}
for f in Front_Center Front_Left Front_Right Rear_Center Rear_Left Rear_Right Side_Left Side_Right; do
  line alsa-utils "$alsa/$f.wav" "${f/_/ }"
done
line jfk "$here/assets/speech/jfk.wav" "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
sphinx() { # SOURCE DIR TRANSCRIPTION: pocketsphinx lines "<s> words </s> (file id)", audio DIR/id.wav
  while read -r l; do
    id="${l##*(}"; id="${id%)}"; text="${l#<s> }"; text="${text%% </s>*}"; text="$(echo "$text" | sed 's/ *$//')"
    line "$1" "$2/$id.wav" "$text"
  done < "$3"
}
sphinx pocketsphinx-librivox "$psx/librivox" "$psx/librivox/transcription"
sphinx pocketsphinx-cards "$psx/cards" "$psx/cards/cards.transcription"
allison="$work/root/usr/share/asterisk/sounds/en_US_f_Allison"
zcat "$work/root/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz" | while IFS= read -r l; do
  case "$l" in ';'*|'') continue;; esac
  id="${l%%: *}"; text="${l#*: }"
  case "$text" in *[0-9]*|*'['*) continue;; esac
  [ "$(echo "$text" | wc -w)" -le 20 ] && [ -f "$allison/$id.wav" ] && line asterisk-allison "$allison/$id.wav" "$text"
done
echo "real-speech: $(wc -l < "$out") clips in $out" >&2
exec "$here/auris" eval --model "$model" --data "$work/real" --report "$work/report"
