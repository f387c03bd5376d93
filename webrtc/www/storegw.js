/* storegw.js: "Contact a sales representative" for any store page.
 *
 * One script tag, configured by data- attributes:
 *   <script src="https://gw.example/storegw.js"
 *           data-gateway="wss://gw.example/api/v1/ws"   (default: the script's origin)
 *           data-store="demo" data-sku="SKU-1"
 *           data-token-url="/shop/call-token"           (GET -> {"token": "..."})
 *           data-to="rep:any"></script>                  (destination, default rep:any)
 * The widget appears where the tag is. Attributes are read when a call starts,
 * so a page may change them (e.g. data-sku) at any time.
 * The token URL gets ?sku=&media= appended so the store's backend may put
 * them in the token; when it gives no token the call is tried without one
 * (the gateway decides, e.g. "echo" is public by default).
 * No framework, no build step; styles live in an open shadow root.
 * window.storegw.widgets lists the widgets (state, pc, stats()) for tests. */
(function () {
  'use strict';

  const script = document.currentScript;
  if (!script) return;
  /* a page opened from a friend's invite link (?join=<code>) joins that call */
  let joinCode = (new URLSearchParams(location.search).get('join') || '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(joinCode)) joinCode = null;

  /* ---- messages shoppers read ------------------------------------------ */

  const HANGUP = {
    'normal': 'The call has ended. Thank you!',
    'shutdown': 'The service is restarting. Please try again in a minute.',
    'remote-hangup': 'The representative ended the call.',
    'busy': 'All our representatives are busy right now. Please try again in a few minutes.',
    'no-answer': 'No representative answered. Please try again later.',
    'unavailable': 'No representative is free right now. Please try again later.',
    'no-rep': 'No sales representative is free right now. Please try again in a few minutes.',
    'not-found': 'We could not reach a representative (the number was not found).',
    'declined': 'The representative could not take your call. Please try again.',
    'forbidden': 'This call is not allowed. Please reload the page and try again.',
    'cancelled': 'The call was cancelled.',
    'media-mismatch': 'Your device and the representative\u2019s could not agree on a sound or video format. A chat will work.',
    'network-error': 'The representatives\u2019 network could not be reached. Please try again.',
    'failed': 'The call failed. Please try again.',
    'ice-timeout': 'The connection was lost: your network stopped answering. Check your connection and try again.',
    'dtls-timeout': 'The secure media connection could not be set up; a firewall may be blocking it. A chat may still work.',
    'dtls-closed': 'The secure media connection was closed.',
    'dtls-fingerprint': 'The secure connection could not be verified, so the call was ended.',
  };
  const ERRORS = {
    'bad-json': 'This page sent something the service did not understand. Please reload and try again.',
    'bad-message': 'This page sent something the service did not understand. Please reload and try again.',
    'unknown-type': 'This page and the service do not match. Please reload and try again.',
    'missing-field': 'This page sent an incomplete request. Please reload and try again.',
    'bad-field': 'This page sent a request the service refused. Please reload and try again.',
    'bad-sdp': 'Your browser\u2019s call set-up was not understood. Try another browser, or a chat.',
    'no-media': 'No sound or video could be set up with your browser. A chat will work.',
    'unknown-call': 'That call has already ended.',
    'call-exists': 'A call is already in progress.',
    'forbidden': 'This store cannot place that call right now (the call was refused).',
    'rate-limited': 'Too many attempts. Please wait a minute and try again.',
    'too-many-calls': 'Too many calls at once. Please try again shortly.',
    'not-supported': 'That is not available on this call.',
    'unavailable': 'No representative is free right now. Please try again later.',
    'shutting-down': 'The service is restarting. Please try again in a minute.',
    'internal': 'Something went wrong on our side. Please try again.',
    'bad-invite': 'This invite link does not work any more (it works once, for 10 minutes). Ask your friend for a new one.',
  };
  const LOCAL = {
    'permission': 'Camera or microphone access was denied. Allow it in your browser (the icon in the address bar) and try again, or choose chat.',
    'nodevice': 'No camera or microphone was found. Try an audio call or a chat.',
    'inuse': 'Your camera or microphone is in use by another application.',
    'nomedia': 'This browser cannot make audio or video calls here (it needs a secure https page). A chat will work.',
    'ws': 'We cannot reach the service: your network may be blocking it. Please try another network.',
    'wslost': 'The connection to the service was lost.',
    'ice': 'Sound and video cannot get through your network (a firewall may be blocking them). A chat may still work.',
    'timeout': 'The service did not answer in time. Please try again.',
    'chatonly': 'A chat on its own is not available for this number. Please choose an audio or video call (you can chat during it).',
  };

  /* ---- styles and markup ------------------------------------------------- */

  const CSS = `
:host { all: initial; display: block; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; }
* { box-sizing: border-box; }
button { font: inherit; cursor: pointer; border-radius: 10px; border: 1px solid #c4cad6; background: #fff; color: #1d2330; min-height: 44px; padding: 8px 14px; }
button:hover { background: #f1f4f9; }
button:focus-visible, input:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
button[disabled] { opacity: .5; cursor: default; }
.contact { background: #0b5cd5; color: #fff; border: 0; font-weight: 600; padding: 12px 18px; display: inline-flex; align-items: center; gap: 8px; }
.contact:hover { background: #0a4fb7; }
.contact svg { width: 20px; height: 20px; }
.panel { position: fixed; right: 16px; bottom: 16px; width: 400px; max-height: calc(100vh - 32px); z-index: 2147483000;
  background: #fff; border-radius: 16px; box-shadow: 0 12px 40px rgba(10,20,40,.28); display: flex; flex-direction: column; overflow: hidden; }
.panel[hidden] { display: none; }
header { display: flex; align-items: center; gap: 8px; padding: 10px 12px 10px 16px; background: #0b5cd5; color: #fff; }
header h2 { font-size: 16px; margin: 0; flex: 1; }
header button { background: transparent; color: #fff; border: 0; min-width: 44px; font-size: 22px; line-height: 1; }
header button:hover { background: rgba(255,255,255,.15); }
.body { padding: 12px 14px; display: flex; flex-direction: column; gap: 10px; overflow: auto; flex: 1; min-height: 0; }
.status { margin: 0; font-weight: 500; }
.alert { margin: 0; padding: 10px 12px; border-radius: 10px; background: #fdecea; color: #8a1c12; border: 1px solid #f5c2bd; }
.alert:empty, .status:empty { display: none; }
.notice { margin: 0; color: #5a6475; font-size: 14px; }
.notice:empty { display: none; }
.modes { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; }
.modes button { display: flex; flex-direction: column; align-items: center; gap: 4px; padding: 12px 6px; }
.modes svg { width: 26px; height: 26px; }
.stage { position: relative; background: #111722; border-radius: 12px; overflow: hidden; aspect-ratio: 4 / 3; }
.stage[hidden] { display: none; }
.stage video.remote { width: 100%; height: 100%; object-fit: contain; display: block; }
.stage video.self { position: absolute; right: 8px; bottom: 8px; width: 28%; aspect-ratio: 4 / 3; object-fit: cover; border-radius: 8px; border: 2px solid #fff; background: #333; }
.stage .quality { position: absolute; left: 8px; bottom: 8px; }
.quality { display: inline-flex; align-items: center; gap: 6px; font-size: 13px; padding: 3px 8px; border-radius: 999px; background: rgba(255,255,255,.92); color: #1d2330; }
.quality[hidden] { display: none; }
.quality i { width: 10px; height: 10px; border-radius: 50%; background: #9aa3b2; display: inline-block; }
.quality[data-q=good] i { background: #1e9e4a; } .quality[data-q=fair] i { background: #e0a100; } .quality[data-q=poor] i { background: #d93025; }
.controls { display: flex; flex-wrap: wrap; gap: 6px; }
.controls[hidden] { display: none; }
.controls button { flex: 1 1 0; min-width: 64px; display: flex; flex-direction: column; align-items: center; gap: 2px; font-size: 12px; padding: 6px 4px; }
.controls button[hidden] { display: none; }
.controls svg { width: 22px; height: 22px; }
.controls button[aria-pressed=true] { background: #e8eefc; border-color: #0b5cd5; }
.controls .hangup { background: #d93025; border-color: #d93025; color: #fff; }
.controls .hangup:hover { background: #b3261e; }
.keypad { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6px; }
.keypad[hidden] { display: none; }
.keypad button { font-size: 18px; font-weight: 600; }
.chat { display: flex; flex-direction: column; gap: 6px; min-height: 0; }
.chat[hidden] { display: none; }
.log { list-style: none; margin: 0; padding: 8px; border: 1px solid #e1e5ec; border-radius: 10px; min-height: 72px; max-height: 180px; overflow: auto; display: flex; flex-direction: column; gap: 4px; }
.log li { max-width: 85%; padding: 6px 10px; border-radius: 12px; background: #eef1f6; align-self: flex-start; word-wrap: break-word; }
.log li.me { background: #0b5cd5; color: #fff; align-self: flex-end; }
.log li b { display: block; font-size: 11px; font-weight: 600; opacity: .8; }
form.send { display: flex; gap: 6px; }
form.send input { flex: 1; min-width: 0; font: inherit; padding: 8px 10px; border: 1px solid #c4cad6; border-radius: 10px; min-height: 44px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.again { align-self: flex-start; }
.hints { margin: 12px 0 0; padding-left: 18px; color: #4a5263; font-size: 14px; display: flex; flex-direction: column; gap: 4px; }
form.send[hidden] { display: none; }
.again[hidden] { display: none; }
.invite-box { display: flex; flex-direction: column; gap: 6px; font-size: 14px; }
.invite-box[hidden], .controls button.invite[hidden] { display: none; }
.invite-box .row { display: flex; gap: 6px; }
.invite-box input { flex: 1; min-width: 0; font: inherit; padding: 8px 10px; border: 1px solid #c4cad6; border-radius: 10px; min-height: 44px; }
@media (max-width: 600px) {
  .panel { inset: 0; width: auto; max-height: none; border-radius: 0; }
  .stage { aspect-ratio: auto; flex: 0 0 42vh; }
  .log { max-height: none; flex: 1; }
  .chat { flex: 1; }
}`;

  const ICON = {
    chat: '<path d="M4 4h16v11H8l-4 4z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/>',
    audio: '<path d="M6 3h4l1 5-3 2a12 12 0 0 0 6 6l2-3 5 1v4a2 2 0 0 1-2 2A17 17 0 0 1 4 5a2 2 0 0 1 2-2z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/>',
    video: '<rect x="2" y="6" width="13" height="12" rx="2" fill="none" stroke="currentColor" stroke-width="2"/><path d="M15 10l7-4v12l-7-4z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/>',
    mic: '<rect x="9" y="2" width="6" height="12" rx="3" fill="none" stroke="currentColor" stroke-width="2"/><path d="M5 11a7 7 0 0 0 14 0M12 18v4" fill="none" stroke="currentColor" stroke-width="2"/>',
    swap: '<path d="M4 8h13l-3-3M20 16H7l3 3" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>',
    keypad: '<g fill="currentColor"><circle cx="6" cy="5" r="1.8"/><circle cx="12" cy="5" r="1.8"/><circle cx="18" cy="5" r="1.8"/><circle cx="6" cy="11" r="1.8"/><circle cx="12" cy="11" r="1.8"/><circle cx="18" cy="11" r="1.8"/><circle cx="6" cy="17" r="1.8"/><circle cx="12" cy="17" r="1.8"/><circle cx="18" cy="17" r="1.8"/><circle cx="12" cy="22" r="1.5"/></g>',
    hangup: '<path d="M2 14c5-5 15-5 20 0l-2 3-4-1v-3a12 12 0 0 0-8 0v3l-4 1z" fill="currentColor"/>',
    invite: '<path d="M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21v-1a6 6 0 0 1 12 0v1M19 8v6M16 11h6" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>',
  };
  const svg = (name) => `<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">${ICON[name]}</svg>`;

  const HTML = `
<button type="button" class="contact" data-testid="contact" aria-haspopup="dialog" aria-expanded="false">${svg('chat')}<span class="label">Contact a sales representative</span></button>
<section class="panel" role="dialog" aria-modal="false" aria-labelledby="sg-title" hidden>
  <header><h2 id="sg-title">Talk to a sales representative</h2>
    <button type="button" class="close" aria-label="Close (the call continues)" title="Close">\u00d7</button></header>
  <div class="body">
    <p class="status" role="status" aria-live="polite"></p>
    <p class="alert" role="alert"></p>
    <div class="choose">
      <p class="notice" id="sg-how">How would you like to talk?</p>
      <div class="modes" role="group" aria-labelledby="sg-how">
        <button type="button" data-mode="chat" data-testid="mode-chat" aria-label="Chat (text messages)">${svg('chat')}Chat</button>
        <button type="button" data-mode="audio" data-testid="mode-audio" aria-label="Audio call (microphone)">${svg('audio')}Audio</button>
        <button type="button" data-mode="video" data-testid="mode-video" aria-label="Video call (camera and microphone)">${svg('video')}Video</button>
      </div>
      <ul class="hints">
        <li><b>Chat</b>: type your questions, no microphone needed.</li>
        <li><b>Audio</b>: talk using your microphone.</li>
        <li><b>Video</b>: see the representative and the product; they see you too (you can turn your camera off).</li>
      </ul>
    </div>
    <div class="stage" hidden>
      <video class="remote" autoplay playsinline aria-label="The representative's video"></video>
      <video class="self" autoplay playsinline muted aria-label="Your own camera (self-view)"></video>
      <span class="quality" role="img" aria-label="Connection quality: measuring" hidden><i></i><span>Measuring\u2026</span></span>
    </div>
    <audio class="remote-audio" autoplay></audio>
    <span class="quality audio-quality" role="img" aria-label="Connection quality: measuring" hidden><i></i><span>Measuring\u2026</span></span>
    <div class="controls" role="group" aria-label="Call controls" hidden>
      <button type="button" class="mute" data-testid="mute" aria-pressed="false" aria-label="Mute microphone">${svg('mic')}<span>Mute</span></button>
      <button type="button" class="camera" data-testid="camera" aria-pressed="false" aria-label="Turn camera off">${svg('video')}<span>Camera off</span></button>
      <button type="button" class="switch" data-testid="switch" aria-label="Show me another representative">${svg('swap')}<span>Another rep</span></button>
      <button type="button" class="invite" data-testid="invite" aria-label="Invite a friend to this call">${svg('invite')}<span>Invite a friend</span></button>
      <button type="button" class="keys" data-testid="keypad" aria-expanded="false" aria-controls="sg-keypad" aria-label="Dial pad">${svg('keypad')}<span>Keypad</span></button>
      <button type="button" class="hangup" data-testid="hangup" aria-label="Hang up">${svg('hangup')}<span>Hang up</span></button>
    </div>
    <div class="invite-box" role="group" aria-label="Invite a friend" hidden>
      <label for="sg-invite-link">Send this link to a friend to join your call (it works once, for 10 minutes):</label>
      <div class="row"><input id="sg-invite-link" data-testid="invite-link" readonly><button type="button" class="copy" data-testid="invite-copy">Copy</button></div>
    </div>
    <div class="keypad" id="sg-keypad" role="group" aria-label="Dial pad: send tones" hidden></div>
    <div class="chat" hidden>
      <h3 class="sr" id="sg-chat-h">Chat</h3>
      <ul class="log" role="log" aria-live="polite" aria-labelledby="sg-chat-h" tabindex="0" data-testid="chat-log"></ul>
      <form class="send">
        <label class="sr" for="sg-chat-in">Message to the representative</label>
        <input id="sg-chat-in" data-testid="chat-input" autocomplete="off" maxlength="1000" placeholder="Type a message\u2026">
        <button type="submit" data-testid="chat-send" aria-label="Send message">Send</button>
      </form>
    </div>
    <button type="button" class="again" data-testid="again" hidden>Start a new conversation</button>
  </div>
</section>`;

  /* ---- one widget --------------------------------------------------------- */

  const uid = () => 'c-' + Math.random().toString(36).slice(2, 10) + Date.now().toString(36).slice(-4);

  function gatewayUrl() {
    if (script.dataset.gateway) return script.dataset.gateway;
    const u = new URL('/api/v1/ws', script.src || location.href);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.href;
  }

  function Widget() {
    const host = document.createElement('div');
    host.className = 'storegw-widget';
    script.insertAdjacentElement('afterend', host);
    const root = host.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${CSS}</style>${HTML}`;
    const $ = (sel) => root.querySelector(sel);
    const ui = {
      contact: $('.contact'), panel: $('.panel'), close: $('.close'), status: $('.status'),
      alert: $('.alert'), choose: $('.choose'), stage: $('.stage'), remote: $('video.remote'),
      self: $('video.self'), audio: $('.remote-audio'), controls: $('.controls'),
      mute: $('.mute'), camera: $('.camera'), sw: $('.switch'), keys: $('.keys'),
      hangup: $('.hangup'), keypad: $('.keypad'), chat: $('.chat'), log: $('.log'),
      form: $('form.send'), input: $('form.send input'), again: $('.again'),
      qualities: [$('.stage .quality'), $('.audio-quality')],
      invite: $('.invite'), inviteBox: $('.invite-box'), inviteLink: $('#sg-invite-link'),
      inviteCopy: $('.invite-box .copy'),
    };
    for (const d of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = d;
      b.dataset.digit = d;
      b.setAttribute('aria-label', `Tone ${d === '*' ? 'star' : d === '#' ? 'hash' : d}`);
      ui.keypad.appendChild(b);
    }

    const w = {
      host, root, state: 'idle', call: null, media: null, ws: null, pc: null, stream: null,
      reps: [], quality: null, chatLog: [],
      stats: () => stats(),
    };
    let pendingCands = [];
    let lastAction = '';
    let callSent = false;
    let qualityTimer = null;
    let setupTimer = null;
    let last = null;   /* previous getStats totals, for loss over the last interval */

    /* ---- view ---- */

    function setStatus(text) { ui.status.textContent = text; }
    function setAlert(text) { ui.alert.textContent = text || ''; }
    function notice(text) { setStatus(text); }
    function show(el, on) { el.hidden = !on; }

    function render() {
      const s = w.state;
      const inCall = s === 'connecting' || s === 'queued' || s === 'ringing' || s === 'connected';
      show(ui.choose, s === 'choosing');
      show(ui.stage, inCall && w.media === 'video');
      show(ui.controls, inCall);
      show(ui.mute, w.media !== 'chat');
      show(ui.camera, w.media === 'video');
      show(ui.keys, w.media !== 'chat');
      show(ui.invite, s === 'connected' && w.media !== 'chat' && !w.joined);
      /* a friend on a shared call neither switches the rep nor dials */
      /* a chat-only call has no switch (the gateway switches media legs) */
      show(ui.sw, !w.joined && w.media !== 'chat');
      if (w.joined) show(ui.keys, false);
      show(ui.inviteBox, inCall && !!w.inviteUrl);
      if (!inCall || w.media === 'chat') { show(ui.keypad, false); ui.keys.setAttribute('aria-expanded', 'false'); }
      show(ui.chat, inCall || (s === 'ended' && ui.log.children.length > 0));
      show(ui.form, inCall);
      ui.input.disabled = s !== 'connected';
      ui.form.querySelector('button').disabled = s !== 'connected';
      show(ui.again, s === 'ended');
      show(ui.qualities[1], inCall && w.media === 'audio' && !!w.quality);
      show(ui.qualities[0], inCall && w.media === 'video' && !!w.quality);
      ui.contact.querySelector('.label').textContent = inCall && ui.panel.hidden
        ? 'Return to your call (in progress)' : 'Contact a sales representative';
      ui.contact.setAttribute('aria-expanded', String(!ui.panel.hidden));
    }

    function open() {
      if (ui.panel.hidden) {
        ui.panel.hidden = false;
        if (w.state === 'idle' || w.state === 'ended') choose();
      }
      render();
      const first = w.state === 'choosing' ? root.querySelector('[data-mode=chat]')
        : w.state === 'connected' && w.media === 'chat' ? ui.input
          : !ui.controls.hidden ? ui.hangup : ui.close;
      first.focus();
    }

    function close() {
      ui.panel.hidden = true;
      if (w.state === 'choosing') w.state = 'idle';
      if (w.state === 'ended') { w.state = 'idle'; setAlert(''); setStatus(''); }
      render();
      ui.contact.focus();
    }

    function choose() {
      w.state = 'choosing';
      setAlert('');
      setStatus('');
      ui.log.textContent = '';
      render();
    }

    function addChat(from, text, mine) {
      const li = document.createElement('li');
      if (mine) li.className = 'me';
      const b = document.createElement('b');
      b.textContent = mine ? 'You' : from === 'echo' ? 'Representative (echo test)' : from ? `Representative ${from}` : 'Representative';
      li.appendChild(b);
      li.appendChild(document.createTextNode(text));
      ui.log.appendChild(li);
      ui.log.scrollTop = ui.log.scrollHeight;
      w.chatLog.push({ from: mine ? 'me' : from, text });
    }

    function setQuality(q, detail) {
      w.quality = q;
      const word = { good: 'Good', fair: 'Fair', poor: 'Poor' }[q] || 'Measuring\u2026';
      for (const el of ui.qualities) {
        el.dataset.q = q || '';
        el.setAttribute('aria-label', `Connection quality: ${q || 'measuring'}${detail ? ` (${detail})` : ''}`);
        el.title = detail || '';
        el.querySelector('span').textContent = `Connection: ${word}`;
      }
      render();
    }

    /* ---- the call ---- */

    function send(o) {
      if (w.ws && w.ws.readyState === 1) w.ws.send(JSON.stringify(o));
    }

    function remember() {
      /* for the store's order form: which call (and reps) helped this shopper */
      try {
        sessionStorage.setItem('storegw:lastcall', JSON.stringify({
          call: w.call, store: script.dataset.store || '', sku: script.dataset.sku || '',
          media: w.media, reps: w.reps, at: Date.now(),
        }));
      } catch (e) { /* storage off: orders go without a call */ }
    }

    function addRep(rep) {
      if (rep && typeof rep === 'string' && !w.reps.includes(rep) && w.reps.length < 16) {
        w.reps.push(rep);
        remember();
      }
    }

    async function fetchToken(media) {
      const url = script.dataset.tokenUrl;
      if (!url) return undefined;
      try {
        const u = new URL(url, location.href);
        if (script.dataset.sku) u.searchParams.set('sku', script.dataset.sku);
        u.searchParams.set('media', media);
        const r = await fetch(u.href, { credentials: 'same-origin', cache: 'no-store' });
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        const ct = r.headers.get('content-type') || '';
        const tok = ct.includes('json') ? (await r.json()).token : (await r.text()).trim();
        return typeof tok === 'string' && tok ? tok : undefined;
      } catch (e) {
        console.warn('storegw: no call token from', url, e.message);
        return undefined;
      }
    }

    function openWs() {
      return new Promise((resolve, reject) => {
        let ws;
        try { ws = new WebSocket(gatewayUrl()); } catch (e) { reject(new Error('ws')); return; }
        const t = setTimeout(() => { ws.close(); reject(new Error('ws')); }, 10000);
        ws.onopen = () => { clearTimeout(t); resolve(ws); };
        ws.onerror = () => { clearTimeout(t); reject(new Error('ws')); };
        ws.onclose = () => {
          if (w.ws !== ws) return;
          w.ws = null;
          if (w.state !== 'ended' && w.state !== 'idle' && w.state !== 'choosing') end(LOCAL.wslost, 'wslost');
        };
        ws.onmessage = (ev) => {
          let m;
          try { m = JSON.parse(ev.data); } catch (e) { return; }
          onMessage(m);
        };
      });
    }

    function mediaError(e) {
      const n = e && e.name;
      if (n === 'NotAllowedError' || n === 'SecurityError' || n === 'PermissionDeniedError') return LOCAL.permission;
      if (n === 'NotFoundError' || n === 'OverconstrainedError' || n === 'DevicesNotFoundError') return LOCAL.nodevice;
      if (n === 'NotReadableError' || n === 'TrackStartError' || n === 'AbortError') return LOCAL.inuse;
      return LOCAL.nomedia;
    }

    async function start(media) {
      w.media = media;
      w.call = uid();
      w.reps = [];
      w.rep = null;
      w.chatLog = [];
      w.quality = null;
      last = null;
      pendingCands = [];
      callSent = false;
      const call = w.call;
      setAlert('');
      w.state = 'connecting';
      setStatus(media === 'chat' ? 'Connecting you to a representative\u2026'
        : media === 'video' ? 'Starting your camera and microphone\u2026' : 'Starting your microphone\u2026');
      render();
      ui.hangup.focus();

      try {
        if (media !== 'chat') {
          if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.RTCPeerConnection) {
            throw Object.assign(new Error('no media'), { local: LOCAL.nomedia });
          }
          try {
            w.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: media === 'video' });
          } catch (e) {
            throw Object.assign(e, { local: mediaError(e) });
          }
          if (w.call !== call) return;
          ui.self.srcObject = media === 'video' ? w.stream : null;
        }
        const join = joinCode;
        joinCode = null;       /* the code works once */
        w.joined = !!join;
        w.inviteUrl = null;
        const [token, ws] = await Promise.all([join ? null : fetchToken(media),
          openWs().catch(() => { throw Object.assign(new Error('ws'), { local: LOCAL.ws }); })]);
        if (w.call !== call) { ws.close(); return; }
        w.ws = ws;
        setStatus('Connecting you to a representative\u2026');
        const msg = { type: 'call', call, to: join ? `join:${join}` : script.dataset.to || 'rep:any', media };
        if (token) msg.token = token;
        if (media !== 'chat') {
          const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
          w.pc = pc;
          w.stream.getTracks().forEach((t) => pc.addTrack(t, w.stream));
          const remote = new MediaStream();
          pc.ontrack = (e) => {
            remote.addTrack(e.track);
            if (media === 'video') { ui.remote.srcObject = remote; ui.audio.srcObject = null; }
            else ui.audio.srcObject = remote;
          };
          pc.onicecandidate = (e) => {
            if (!e.candidate || !e.candidate.candidate) return;
            const c = { type: 'candidate', call, candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid || '' };
            if (callSent) send(c); else pendingCands.push(c);
          };
          pc.onconnectionstatechange = () => {
            if (w.pc !== pc) return;
            if (pc.connectionState === 'failed') end(LOCAL.ice, 'ice');
            else if (pc.connectionState === 'disconnected') setQuality('poor', 'reconnecting');
          };
          await pc.setLocalDescription(await pc.createOffer());
          if (w.call !== call) return;
          msg.sdp = pc.localDescription.sdp;
        }
        send(msg);
        callSent = true;
        remember();
        pendingCands.forEach(send);
        pendingCands = [];
        /* no word from the gateway at all: do not spin forever */
        setupTimer = setTimeout(() => { if (w.call === call && w.state === 'connecting') end(LOCAL.timeout, 'timeout'); }, 30000);
      } catch (e) {
        if (w.call === call) end(e.local || LOCAL.ws, 'local');
      }
    }

    async function onMessage(m) {
      if (m.call && m.call !== w.call) return;
      switch (m.type) {
        case 'queued':
          w.state = 'queued';
          setStatus(m.position > 1 ? `All representatives are busy. You are number ${m.position} in the queue.`
            : 'You are next in the queue.');
          break;
        case 'ringing':
          w.state = 'ringing';
          setStatus('Calling a representative\u2026');
          break;
        case 'answer':
          if (w.pc && m.sdp) {
            try { await w.pc.setRemoteDescription({ type: 'answer', sdp: m.sdp }); } catch (e) {
              send({ type: 'hangup', call: w.call });
              end(ERRORS['bad-sdp'], 'answer');
              return;
            }
          }
          /* media flows (early media too); "connected" comes when answered */
          if (w.state === 'connecting') setStatus('Connecting your call\u2026');
          break;
        case 'connected':
          /* again after a switch: say who is on the call now */
          if (w.state === 'connected' && m.rep && w.rep !== m.rep) notice(`You are now talking to representative ${m.rep}.`);
          addRep(m.rep);
          if (m.rep) w.rep = m.rep;
          connected();
          break;
        case 'invite':
          /* the link to this page, so that the friend sees the same product */
          if (m.code) {
            const u = new URL(location.href);
            u.hash = '';
            u.searchParams.set('join', m.code);
            w.inviteUrl = u.href;
          } else {
            w.inviteUrl = String(m.url || '');
          }
          ui.inviteLink.value = w.inviteUrl;
          notice('Your invite link is ready: send it to a friend.');
          break;
        case 'chat':
          /* the other shoppers of a shared call are not reps */
          if (!/^(shopper|friend\d+)$/.test(m.from || '')) addRep(m.from);
          addChat(m.from, String(m.text || ''), false);
          break;
        case 'hangup':
          end(HANGUP[m.reason] || HANGUP.failed, m.reason);
          break;
        case 'error':
          if (w.state === 'connecting' || w.state === 'queued' || w.state === 'ringing') {
            /* chat-only goes to reps (SIP MESSAGE); a phone number takes none */
            end(m.code === 'not-supported' && w.media === 'chat' ? LOCAL.chatonly
              : ERRORS[m.code] || ERRORS.internal, m.code);
          } else if (w.state === 'connected') {
            /* the call goes on: e.g. switch on a target that has one rep */
            notice(m.code === 'not-supported' && lastAction === 'switch'
              ? 'Another representative is not available on this call.'
              : ERRORS[m.code] || ERRORS.internal);
          }
          break;
        default:
          break;
      }
      render();
    }

    function connected() {
      clearTimeout(setupTimer);
      if (w.state === 'connected') return;
      w.state = 'connected';
      setStatus(w.media === 'chat' ? 'Connected. Type your question below.'
        : w.media === 'video' ? 'Connected: you are on a video call.' : 'Connected: you are on an audio call.');
      if (w.rep) setStatus(`${ui.status.textContent} Representative: ${w.rep}.`);
      if (w.pc) {
        clearInterval(qualityTimer);
        qualityTimer = setInterval(measure, 2000);
      }
      render();
      if (w.media === 'chat') ui.input.focus();
    }

    function end(text, why) {
      clearTimeout(setupTimer);
      clearInterval(qualityTimer);
      const wasLive = w.state !== 'idle' && w.state !== 'choosing' && w.state !== 'ended';
      w.state = 'ended';
      if (w.pc) { w.pc.close(); w.pc = null; }
      if (w.stream) { w.stream.getTracks().forEach((t) => t.stop()); w.stream = null; }
      ui.remote.srcObject = null; ui.self.srcObject = null; ui.audio.srcObject = null;
      if (w.ws) { const ws = w.ws; w.ws = null; ws.close(); }
      ui.mute.setAttribute('aria-pressed', 'false'); ui.mute.querySelector('span').textContent = 'Mute';
      ui.mute.setAttribute('aria-label', 'Mute microphone');
      ui.camera.setAttribute('aria-pressed', 'false'); ui.camera.querySelector('span').textContent = 'Camera off';
      ui.camera.setAttribute('aria-label', 'Turn camera off');
      w.lastReason = why;
      if (why === 'normal' || why === 'user') { setAlert(''); setStatus(HANGUP.normal); }
      else { setStatus(''); setAlert(text); }
      if (wasLive && ui.panel.hidden) ui.panel.hidden = false;
      const hadFocus = !!root.activeElement;
      render();
      /* the control that had focus is gone: keep keyboard users in the panel */
      if (hadFocus) ui.again.focus();
    }

    function hangup() {
      if (w.call && w.ws) send({ type: 'hangup', call: w.call });
      end(HANGUP.normal, 'user');
      ui.again.focus();
    }

    /* ---- connection quality from getStats(): loss, jitter, RTT ---- */

    async function stats() {
      const r = { framesDecoded: 0, packetsReceived: 0, packetsLost: 0, jitter: 0, rtt: null,
        audioPackets: 0, state: w.pc ? w.pc.connectionState : 'closed' };
      if (!w.pc) return r;
      (await w.pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp') {
          r.packetsReceived += s.packetsReceived || 0;
          r.packetsLost += Math.max(0, s.packetsLost || 0);
          r.jitter = Math.max(r.jitter, s.jitter || 0);
          if (s.kind === 'video') r.framesDecoded += s.framesDecoded || 0;
          if (s.kind === 'audio') r.audioPackets += s.packetsReceived || 0;
        }
        if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) {
          r.rtt = s.currentRoundTripTime;
        }
        if (s.type === 'remote-inbound-rtp' && s.roundTripTime !== undefined && r.rtt === null) {
          r.rtt = s.roundTripTime;
        }
      });
      return r;
    }

    async function measure() {
      if (!w.pc || w.state !== 'connected') return;
      let s;
      try { s = await stats(); } catch (e) { return; }
      const had = last !== null;
      const prev = last || { packetsReceived: 0, packetsLost: 0 };
      last = s;
      const got = s.packetsReceived - prev.packetsReceived;
      const lost = s.packetsLost - prev.packetsLost;
      const loss = got + lost > 0 ? lost / (got + lost) : 0;
      const jitterMs = s.jitter * 1000;
      const rttMs = s.rtt === null ? 0 : s.rtt * 1000;
      let q = 'good';
      if (had && got === 0) q = 'poor';
      else if (loss > 0.08 || jitterMs > 100 || rttMs > 800) q = 'poor';
      else if (loss > 0.02 || jitterMs > 30 || rttMs > 300) q = 'fair';
      const detail = `loss ${(loss * 100).toFixed(1)}%, jitter ${jitterMs.toFixed(0)} ms` +
        (s.rtt === null ? '' : `, round trip ${rttMs.toFixed(0)} ms`);
      w.qualityDetail = detail;
      setQuality(q, detail);
    }

    /* ---- wiring ---- */

    ui.contact.addEventListener('click', () => (ui.panel.hidden ? open() : close()));
    ui.close.addEventListener('click', close);
    root.querySelectorAll('[data-mode]').forEach((b) =>
      b.addEventListener('click', () => start(b.dataset.mode)));
    ui.hangup.addEventListener('click', hangup);
    ui.again.addEventListener('click', () => { choose(); root.querySelector('[data-mode=chat]').focus(); });
    ui.mute.addEventListener('click', () => {
      const on = ui.mute.getAttribute('aria-pressed') !== 'true';
      if (w.stream) w.stream.getAudioTracks().forEach((t) => { t.enabled = !on; });
      ui.mute.setAttribute('aria-pressed', String(on));
      ui.mute.setAttribute('aria-label', on ? 'Unmute microphone' : 'Mute microphone');
      ui.mute.querySelector('span').textContent = on ? 'Unmute' : 'Mute';
      notice(on ? 'Your microphone is muted.' : 'Your microphone is on.');
    });
    ui.camera.addEventListener('click', () => {
      const off = ui.camera.getAttribute('aria-pressed') !== 'true';
      if (w.stream) w.stream.getVideoTracks().forEach((t) => { t.enabled = !off; });
      ui.camera.setAttribute('aria-pressed', String(off));
      ui.camera.setAttribute('aria-label', off ? 'Turn camera on' : 'Turn camera off');
      ui.camera.querySelector('span').textContent = off ? 'Camera on' : 'Camera off';
      notice(off ? 'Your camera is off.' : 'Your camera is on.');
    });
    ui.sw.addEventListener('click', () => {
      lastAction = 'switch';
      send({ type: 'switch', call: w.call, rep: 'next' });
      notice('Asking for another representative\u2026');
    });
    ui.invite.addEventListener('click', () => {
      lastAction = 'invite';
      send({ type: 'invite', call: w.call });
      notice('Making an invite link\u2026');
    });
    ui.inviteCopy.addEventListener('click', () => {
      const done = () => notice('Invite link copied.');
      const manual = () => { ui.inviteLink.select(); notice('Select the link and copy it.'); };
      if (navigator.clipboard) navigator.clipboard.writeText(ui.inviteLink.value).then(done, manual);
      else manual();
    });
    ui.keys.addEventListener('click', () => {
      const on = ui.keypad.hidden;
      ui.keypad.hidden = !on;
      ui.keys.setAttribute('aria-expanded', String(on));
      if (on) ui.keypad.querySelector('button').focus();
    });
    ui.keypad.addEventListener('click', (e) => {
      const d = e.target.closest('button') && e.target.closest('button').dataset.digit;
      if (!d) return;
      lastAction = 'dtmf';
      send({ type: 'dtmf', call: w.call, digits: d });
      notice(`Sent tone ${d}`);
    });
    ui.form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = ui.input.value.trim();
      if (!text || w.state !== 'connected') return;
      lastAction = 'chat';
      send({ type: 'chat', call: w.call, text });
      addChat('', text, true);
      ui.input.value = '';
      ui.input.focus();
    });
    root.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      if (!ui.keypad.hidden) {
        ui.keypad.hidden = true;
        ui.keys.setAttribute('aria-expanded', 'false');
        ui.keys.focus();
      } else if (!ui.panel.hidden) {
        close();
      }
    });
    window.addEventListener('pagehide', () => { if (w.call && w.ws) send({ type: 'hangup', call: w.call }); });

    render();
    if (joinCode) {
      ui.panel.hidden = false;
      notice('Joining your friend\u2019s call\u2026');
      start('video');
    }
    return w;
  }

  const g = window.storegw || (window.storegw = { widgets: [] });
  const start = () => g.widgets.push(Widget());
  if (script.parentNode) start();
  else document.addEventListener('DOMContentLoaded', start);
}());
