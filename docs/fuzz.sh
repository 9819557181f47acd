#!/usr/bin/env bash
# Long fuzzing run (docs/FUZZING.md): each @FuzzTest target in turn, one at a time, niced (on a shared
# machine pin it too: taskset -c 1 docs/fuzz.sh), until its
# maxExecutions (2·10⁵) or maxDuration; prints libFuzzer's final line per target.
#   docs/fuzz.sh                                   # every target
#   docs/fuzz.sh auris-core:WavFuzzTest#wav ...     # some
set -u
cd "$(dirname "$0")/.."
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(auris-core:WavFuzzTest#wav auris-core:NpyFuzzTest#npy auris-core:ManifestFuzzTest#manifest
           auris-core:GgufFuzzTest#gguf auris-core:SafeTensorsFuzzTest#safetensors
           auris-core:TokenizerFuzzTest#tokenizerBin auris-core:TokenizerFuzzTest#tokenizerJson
           auris-model:ConfigFuzzTest#llmConfig auris-model:ConfigFuzzTest#whisperConfig
           auris-model:ConfigFuzzTest#aurisJson auris-train:RecipeFuzzTest#recipe auris-train:RecipeFuzzTest#trainingManifest
           auris-serve:ChatRequestFuzzTest#chatRequest auris-serve:RealtimeEventFuzzTest#realtimeEvents
           auris-serve:TranscriptionUploadFuzzTest#upload)
fi
mkdir -p target/fuzz
for t in "${targets[@]}"; do
  module=${t%%:*}; test=${t#*:}
  log=target/fuzz/${test//#/.}.log
  JAZZER_FUZZ=1 nice -n 10 ./mvnw -B -o -pl "$module" -am test -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1
  rc=$?
  echo "$t rc=$rc $(grep -aE '^#[0-9]+.*DONE|^Done [0-9]+ runs' "$log" | tr '\n' ' ') $(grep -aE '== Java Exception|Crash|FuzzTestFindingsException' "$log" | head -1)"
done
