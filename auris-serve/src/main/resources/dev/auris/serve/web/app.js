// The talk page: the microphone to /v1/realtime (push-to-talk, or hands-free with the server's end-of-speech
// detection), the transcript and the answer as they stream, and the first-token latency. Nothing from a CDN.
'use strict';
const $ = id => document.getElementById(id);
const keyInput = $('key');
keyInput.value = localStorage.getItem('auris-key') || '';
let ws = null, ctx = null, node = null, stream = null, sending = false, turnEnd = 0, answerEl = null, userEl = null;

function status(s) { $('status').textContent = s; }

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
    case 'input_audio_buffer.speech_started': status('hearing you…'); break;
    case 'input_audio_buffer.speech_stopped': turnEnd = performance.now(); status('thinking…'); break;
    case 'conversation.item.created':
      if (e.item.role === 'user') userEl = line('user', e.item.content[0].text ? 'You: ' + e.item.content[0].text : 'You (spoken): …');
      break;
    case 'conversation.item.input_audio_transcription.completed':
      if (userEl) userEl.textContent = 'You (spoken): ' + e.transcript;
      break;
    case 'response.created': answerEl = line('assistant', ''); break;
    case 'response.output_text.delta':
      if (answerEl && !answerEl.textContent) status('first token after ' + Math.round(performance.now() - turnEnd) + ' ms');
      if (answerEl) answerEl.textContent += e.delta;
      $('log').scrollTop = $('log').scrollHeight;
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
