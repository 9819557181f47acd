# Reference figure: CMU pocketsphinx (Debian's en-us acoustic model and language model, trained on real speech)
# on the same clips and with the same normalisation and WER as `auris eval` (Wer.java). Evaluation only.
# Needs: apt-get install pocketsphinx pocketsphinx-en-us sox. Usage, after examples/real-speech.sh (its WORK/real/asr.jsonl):
#   python3 examples/pocketsphinx-reference.py WORK/real/asr.jsonl hypotheses.jsonl [LIMIT]
import json, re, subprocess, sys, collections, os, tempfile
man = sys.argv[1]; out = sys.argv[2]
M = '/usr/share/pocketsphinx/model/en-us'
def norm(s):
    s = s.lower(); s = re.sub(r"[^\w' ]|_", " ", s); return re.sub(r"\s+", " ", s).strip()
def ed(a, b):
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        p, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            p, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, p + (a[i - 1] != b[j - 1]))
    return d[len(b)]
wav = os.path.join(tempfile.mkdtemp(), 'clip.wav')
err = collections.Counter(); tot = collections.Counter(); rows = []
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 10**9
for n, line in enumerate(open(man)):
    if n >= limit: break
    j = json.loads(line)
    audio = j['messages'][0]['content'][0]['audio']; ref = j['messages'][1]['content']; src = j.get('voice', '?').split(':')[0]
    if not os.path.isabs(audio): audio = os.path.join(os.path.dirname(os.path.abspath(man)), audio)
    subprocess.run(['sox', audio, '-r', '16000', '-c', '1', '-b', '16', wav], check=True, stderr=subprocess.DEVNULL)
    r = subprocess.run(['pocketsphinx_continuous', '-infile', wav, '-hmm', M + '/en-us', '-lm', M + '/en-us.lm.bin',
                        '-dict', M + '/cmudict-en-us.dict', '-logfn', '/dev/null'], capture_output=True, text=True)
    hyp = ' '.join(l.strip() for l in r.stdout.splitlines() if l.strip())
    h = re.sub(r"\(\d+\)", "", norm(hyp)).split(); rf = norm(ref).split()
    e = ed(rf, h); err[src] += e; tot[src] += len(rf); err['all'] += e; tot['all'] += len(rf)
    rows.append({'source': src, 'ref': ref, 'hyp': hyp})
with open(out, 'w') as f:
    for x in rows: f.write(json.dumps(x) + '\n')
for k in sorted(tot): print(f"{k:28s} WER {100.0 * err[k] / tot[k]:.1f} % ({tot[k]} words)")
