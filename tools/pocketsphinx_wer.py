"""A second, independent recognizer for the voice evaluation: Debian's pocketsphinx 0.8 (en-us acoustic model,
its generic LM) on the WAVs the voice evaluation wrote (train/eval/Voice.java: voice.json + wav/), WER with Auris's
normalisation (eval/Wer.java): the spoken answers against their text, the units resynthesis and the held-out prompt
speech itself against the prompt's text.
Run: python3 tools/pocketsphinx_wer.py RUN/voice/eval   (apt-get install pocketsphinx pocketsphinx-en-us)"""
import json, re, subprocess, sys
from concurrent.futures import ThreadPoolExecutor


def words(s):
    s = re.sub(r"[^\w' ]|_", " ", s.lower())
    return s.split()


def errors(ref, hyp):
    r, h = words(ref), words(hyp)
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)], len(r)


def sphinx(wav):
    out = subprocess.run(["pocketsphinx_continuous", "-infile", wav, "-logfn", "/dev/null"], capture_output=True, text=True, timeout=300)
    return " ".join(l.strip() for l in out.stdout.splitlines() if l.strip())


def main(d):
    rows = json.load(open(f"{d}/voice.json"))["rows"]
    jobs = []
    for r in rows:
        n = "%04d" % r["line"]
        jobs.append((r["answer"], f"{d}/wav/spoken-{n}.wav", "spoken"))
        jobs.append((r["prompt"], f"{d}/wav/resynth-{n}.wav", "resynth"))
        jobs.append((r["prompt"], r["prompt_audio"], "floor"))
    with ThreadPoolExecutor(2) as ex:
        heard = list(ex.map(lambda j: sphinx(j[1]), jobs))
    tot = {}
    for (ref, wav, kind), hyp in zip(jobs, heard):
        e, n = errors(ref, hyp)
        a = tot.setdefault(kind, [0, 0])
        a[0] += e
        a[1] += n
    res = {k: v[0] / max(1, v[1]) for k, v in tot.items()}
    json.dump(res, open(f"{d}/pocketsphinx.json", "w"), indent=1)
    print(res)


if __name__ == "__main__":
    main(sys.argv[1])
