// The talk page: the microphone to /v1/realtime (push-to-talk, or hands-free with the server's end-of-speech
// detection), the transcript and the answer as they stream, the spoken answer played as it streams (Web Audio:
// pcm16 chunks at 24 kHz scheduled back to back), first-token and first-audio latency. Nothing from a CDN.
'use strict';
const $ = id => document.getElementById(id);
const keyInput = $('key');
keyInput.value = localStorage.getItem('auris-key') || '';
let ws = null, ctx = null, node = null, stream = null, sending = false, turnEnd = 0, answerEl = null, userEl = null;

function status(s) { $('status').textContent = s; }

// Playback of a spoken answer: each response.output_audio.delta becomes an AudioBuffer queued after the last.
const playback = window.aurisPlayback = {started: false, chunks: 0, seconds: 0};
let out = null, playAt = 0, sources = [], playing = null; // playing: {itemId, start} of the answer being heard
let firstToken = 0, firstAudio = 0;

function audioOut() {
  if (!out) out = new AudioContext();
  if (out.state === 'suspended') out.resume();
  return out;
}

function play(itemId, b64data) {
  const o = audioOut(), bin = atob(b64data), n = bin.length >> 1;
  if (n === 0) return;
  const buf = o.createBuffer(1, n, 24000), ch = buf.getChannelData(0);
  for (let i = 0; i < n; i++) {
    const v = bin.charCodeAt(2 * i) | (bin.charCodeAt(2 * i + 1) << 8);
    ch[i] = (v >= 32768 ? v - 65536 : v) / 32768;
  }
  const src = o.createBufferSource();
  src.buffer = buf;
  src.connect(o.destination);
  const at = Math.max(o.currentTime + 0.03, playAt);
  if (!playing || playing.itemId !== itemId) playing = {itemId, start: at};
  src.start(at);
  playAt = at + buf.duration;
  sources.push(src);
  src.onended = () => { sources = sources.filter(s => s !== src); };
  playback.started = true;
  playback.chunks++;
  playback.seconds += buf.duration;
}

// The user spoke over the answer: stop it, and tell the server how much was heard (it cuts the transcript there).
function interrupt() {
  if (!playing || !out || out.currentTime >= playAt) return;
  const heardMs = Math.max(0, Math.round((out.currentTime - playing.start) * 1000));
  sources.forEach(s => { try { s.stop(); } catch (e) { /* not started */ } });
  sources = [];
  playAt = 0;
  send({type: 'conversation.item.truncate', item_id: playing.itemId, content_index: 0, audio_end_ms: heardMs});
  playing = null;
}

function latency() {
  $('latency').textContent = (firstToken ? 'first token after ' + firstToken + ' ms' : '') + (firstAudio ? ' · first audio after ' + firstAudio + ' ms' : '');
}

function answerText(delta) {
  if (answerEl && !answerEl.textContent) {
    firstToken = Math.round(performance.now() - turnEnd);
    status('first token after ' + firstToken + ' ms');
    latency();
  }
  if (answerEl) answerEl.textContent += delta;
  $('log').scrollTop = $('log').scrollHeight;
}

function line(cls, text) {
  const d = document.createElement('div');
  d.className = 'turn ' + cls;
  d.textContent = text;
  $('log').appendChild(d);
  $('log').scrollTop = $('log').scrollHeight;
  return d;
}

function b64(buf) {
  const bytes = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function send(obj) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj)); }

function configure() {
  send({type: 'session.update', session: {
    input_audio_transcription: {model: 'auris'},
    turn_detection: $('handsfree').checked ? {type: 'server_vad', silence_duration_ms: 600} : null}});
}

function connect() {
  return new Promise((resolve, reject) => {
    if (ws && ws.readyState === 1) return resolve();
    localStorage.setItem('auris-key', keyInput.value);
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const key = keyInput.value ? '?api_key=' + encodeURIComponent(keyInput.value) : '';
    ws = new WebSocket(proto + '//' + location.host + '/v1/realtime' + key);
    ws.onopen = () => { configure(); status('connected'); resolve(); };
    ws.onerror = () => { status('cannot connect (is the API key right?)'); reject(new Error('socket')); };
    ws.onclose = () => { status('disconnected'); ws = null; };
    ws.onmessage = m => onEvent(JSON.parse(m.data));
  });
}

function onEvent(e) {
  switch (e.type) {
    case 'session.created': $('model').textContent = e.session.model; break;
    case 'input_audio_buffer.speech_started': interrupt(); status('hearing you…'); break;
    case 'input_audio_buffer.speech_stopped': turnEnd = performance.now(); status('thinking…'); break;
    case 'conversation.item.created':
      if (e.item.role === 'user') userEl = line('user', e.item.content[0].text ? 'You: ' + e.item.content[0].text : 'You (spoken): …');
      break;
    case 'conversation.item.input_audio_transcription.completed':
      if (userEl) userEl.textContent = 'You (spoken): ' + e.transcript;
      break;
    case 'response.created': answerEl = line('assistant', ''); firstToken = firstAudio = 0; latency(); break;
    case 'response.output_text.delta': answerText(e.delta); break;
    case 'response.output_audio_transcript.delta': answerText(e.delta); break;
    case 'response.output_audio.delta':
      if (!firstAudio) { firstAudio = Math.round(performance.now() - turnEnd); latency(); }
      play(e.item_id, e.delta);
      break;
    case 'response.done':
      if (e.response.status !== 'completed' && answerEl) answerEl.textContent += ' [' + e.response.status + ']';
      if (answerEl) {
        const u = e.response.usage || {};
        const m = document.createElement('div');
        m.className = 'meta';
        m.textContent = (u.output_tokens || 0) + ' tokens; ' + $('status').textContent;
        answerEl.appendChild(m);
      }
      break;
    case 'error': line('meta', 'error: ' + e.error.message); break;
  }
}

async function startMic() {
  if (ctx) return;
  stream = await navigator.mediaDevices.getUserMedia({audio: {channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: false}});
  ctx = new AudioContext();
  await ctx.audioWorklet.addModule('pcm-worklet.js');
  node = new AudioWorkletNode(ctx, 'pcm-worklet');
  node.port.onmessage = m => { if (sending) send({type: 'input_audio_buffer.append', audio: b64(m.data)}); };
  ctx.createMediaStreamSource(stream).connect(node);
}

async function press() {
  audioOut(); // created in the gesture, so the answer may play
  try {
    await connect();
    await startMic();
  } catch (err) { status('no microphone or no server: ' + err.message); return; }
  if ($('handsfree').checked) {
    sending = !sending;
    $('talk').classList.toggle('on', sending);
    $('talk').textContent = sending ? 'Listening (tap to stop)' : 'Tap to listen';
    return;
  }
  interrupt();
  send({type: 'input_audio_buffer.clear'});
  sending = true;
  $('talk').classList.add('on');
  status('recording…');
}

function release() {
  if ($('handsfree').checked || !sending) return;
  sending = false;
  $('talk').classList.remove('on');
  turnEnd = performance.now();
  send({type: 'input_audio_buffer.commit'});
  send({type: 'response.create'});
  status('thinking…');
}

$('talk').addEventListener('pointerdown', e => { e.preventDefault(); press(); });
$('talk').addEventListener('pointerup', release);
$('talk').addEventListener('pointerleave', release);
$('handsfree').addEventListener('change', () => {
  sending = false;
  $('talk').classList.remove('on');
  $('talk').textContent = $('handsfree').checked ? 'Tap to listen' : 'Hold to talk';
  configure();
});
$('typed').addEventListener('submit', async e => {
  e.preventDefault();
  const text = $('text').value.trim();
  if (!text) return;
  try { await connect(); } catch (err) { return; }
  $('text').value = '';
  turnEnd = performance.now();
  send({type: 'conversation.item.create', item: {type: 'message', role: 'user', content: [{type: 'input_text', text}]}});
  send({type: 'response.create'});
});
connect().catch(() => {});
