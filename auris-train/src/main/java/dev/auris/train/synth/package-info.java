/** Data synthesis: TTS engines (espeak-ng, flite, festival, FreeTTS) speak texts into training manifests, with answers distilled from the text LLM. */
package dev.auris.train.synth;
