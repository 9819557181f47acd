// Microphone samples to 24 kHz mono pcm16 chunks of ~100 ms, as OpenAI Realtime's input_audio_buffer.append takes them.
class PcmWorklet extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / 24000; // input samples per output sample (linear interpolation)
    this.pos = 0;
    this.prev = 0;
    this.out = new Int16Array(2400);
    this.n = 0;
  }
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (!ch) return true;
    // positions this.pos .. are in the frame [prev, ch[0], ch[1], ...] indexed from -1
    while (this.pos < ch.length - 1) {
      const i = Math.floor(this.pos), f = this.pos - i;
      const a = i < 0 ? this.prev : ch[i], b = ch[i + 1];
      const v = Math.max(-1, Math.min(1, a + (b - a) * f));
      this.out[this.n++] = v * 32767;
      if (this.n === this.out.length) {
        this.port.postMessage(this.out.buffer.slice(0));
        this.n = 0;
      }
      this.pos += this.ratio;
    }
    this.pos -= ch.length;
    this.prev = ch[ch.length - 1];
    return true;
  }
}
registerProcessor('pcm-worklet', PcmWorklet);
