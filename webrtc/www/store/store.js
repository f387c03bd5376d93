/* The demo store: catalogue, product pages, cart (localStorage) and the
 * order form (POST /api/v1/orders). Pictures are generated SVG. The page
 * kind comes from <body data-page="catalogue|product|cart">. */
(function () {
  'use strict';

  /* the store the pages call and order as: the widget's data-store, which
   * the demo token endpoint confirms (store1 of `make demo`); "demo" when
   * the gateway has no reps for the pages (the echo self-test) */
  const STORE_KEY = 'storegw-demo:store';
  const ECHO_STORE = 'demo';
  const CART_KEY = 'storegw-demo:cart';

  const PRODUCTS = [
    { sku: 'LAMP-01', name: 'Aurora desk lamp', price: '59.00', kind: 'lamp', a: '#ffcf5c', b: '#ff8a3d',
      desc: 'A warm, dimmable LED desk lamp with a brushed-steel arm and a weighted base.' },
    { sku: 'CHAIR-02', name: 'Fjord lounge chair', price: '349.00', kind: 'chair', a: '#7fd1b9', b: '#2e8b77',
      desc: 'Solid oak frame, wool upholstery, made to sit in for a long afternoon with a book.' },
    { sku: 'PHONES-03', name: 'Tide headphones', price: '129.00', kind: 'phones', a: '#9bb7ff', b: '#4a63d8',
      desc: 'Closed-back wireless headphones with 30 hours of battery and soft memory-foam cushions.' },
    { sku: 'MUG-04', name: 'Ember mug', price: '14.50', kind: 'mug', a: '#ff9e9e', b: '#d9485f',
      desc: 'Stoneware mug, hand glazed, 350 ml. Dishwasher and microwave safe.' },
    { sku: 'PLANT-05', name: 'Moss planter', price: '24.90', kind: 'plant', a: '#b8e986', b: '#4e9a2f',
      desc: 'A matte ceramic planter with a drainage saucer, sized for herbs and small succulents.' },
    { sku: 'WATCH-06', name: 'Meridian watch', price: '199.00', kind: 'watch', a: '#d6c3ff', b: '#7a4fd6',
      desc: 'Automatic movement, sapphire glass and a leather strap that softens with wear.' },
  ];

  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const money = (s) => `\u20ac${Number(s).toFixed(2)}`;
  const find = (sku) => PRODUCTS.find((p) => p.sku === sku);

  /* ---- pictures ---------------------------------------------------------- */

  const SHAPES = {
    lamp: '<rect x="92" y="150" width="56" height="10" rx="5" fill="#2b2f3a"/><path d="M120 150 L110 92 L150 62" stroke="#2b2f3a" stroke-width="7" fill="none" stroke-linecap="round"/><path d="M132 40 l46 22 -20 34 z" fill="#2b2f3a"/><circle cx="160" cy="92" r="14" fill="#fff7c2" opacity=".9"/>',
    chair: '<rect x="70" y="50" width="90" height="70" rx="16" fill="#2b2f3a"/><rect x="60" y="110" width="120" height="26" rx="10" fill="#3b4252"/><path d="M74 136 l-8 30 M166 136 l8 30" stroke="#2b2f3a" stroke-width="7" stroke-linecap="round"/>',
    phones: '<path d="M70 120 a50 55 0 0 1 100 0" stroke="#2b2f3a" stroke-width="10" fill="none"/><rect x="56" y="108" width="30" height="50" rx="12" fill="#2b2f3a"/><rect x="154" y="108" width="30" height="50" rx="12" fill="#2b2f3a"/>',
    mug: '<rect x="78" y="64" width="72" height="90" rx="10" fill="#fff" opacity=".95"/><path d="M150 86 a22 22 0 0 1 0 44" stroke="#fff" stroke-width="10" fill="none"/><path d="M98 50 q6 -10 0 -20 M118 50 q6 -10 0 -20" stroke="#fff" stroke-width="4" fill="none" opacity=".8"/>',
    plant: '<path d="M88 118 h64 l-8 44 h-48 z" fill="#f4efe6"/><path d="M120 118 C110 86 84 80 74 60 C102 62 116 82 120 104 C124 78 140 58 168 54 C160 80 136 92 120 118z" fill="#2f6b1f"/>',
    watch: '<rect x="104" y="30" width="32" height="140" rx="10" fill="#3b2a1a"/><circle cx="120" cy="100" r="40" fill="#fff" stroke="#2b2f3a" stroke-width="8"/><path d="M120 100 V74 M120 100 L138 110" stroke="#2b2f3a" stroke-width="5" stroke-linecap="round"/>',
  };

  function picture(p, label) {
    const id = `g-${p.sku}`;
    return `<svg class="pic" viewBox="0 0 240 200" role="img" aria-label="${esc(label || `Picture of the ${p.name}`)}">` +
      `<defs><linearGradient id="${id}" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${p.a}"/><stop offset="1" stop-color="${p.b}"/></linearGradient></defs>` +
      `<rect width="240" height="200" fill="url(#${id})"/><circle cx="190" cy="40" r="60" fill="#fff" opacity=".12"/>${SHAPES[p.kind]}</svg>`;
  }

  /* ---- cart -------------------------------------------------------------- */

  function cart() {
    try {
      const c = JSON.parse(localStorage.getItem(CART_KEY) || '[]');
      return Array.isArray(c) ? c.filter((i) => find(i.sku) && i.qty > 0) : [];
    } catch (e) { return []; }
  }
  function saveCart(c) {
    localStorage.setItem(CART_KEY, JSON.stringify(c));
    updateCartLink();
  }
  function addToCart(sku, qty) {
    const c = cart();
    const it = c.find((i) => i.sku === sku);
    if (it) it.qty = Math.min(99, it.qty + qty); else c.push({ sku, qty });
    saveCart(c);
  }
  function updateCartLink() {
    const n = cart().reduce((s, i) => s + i.qty, 0);
    const a = document.querySelector('[data-testid=cart-link]');
    if (a) {
      a.querySelector('.count').textContent = String(n);
      a.setAttribute('aria-label', `Cart, ${n} item${n === 1 ? '' : 's'}`);
    }
  }

  /* ---- pages ------------------------------------------------------------- */

  function header() {
    const h = document.createElement('header');
    h.className = 'top';
    h.innerHTML = '<a class="brand" href="/store/index.html">Northlight <span>demo store</span></a>' +
      '<a class="cart-link" data-testid="cart-link" href="/store/cart.html">Cart <span class="count">0</span></a>';
    document.body.prepend(h);
    updateCartLink();
  }

  function catalogue(main) {
    main.innerHTML = '<h1>Things for a calmer home</h1><p class="lead">Questions about a product? Every product page ' +
      'has a live chat, audio or video call with one of our sales representatives.</p><ul class="grid" aria-label="Products"></ul>';
    const ul = main.querySelector('.grid');
    for (const p of PRODUCTS) {
      const li = document.createElement('li');
      li.className = 'card';
      li.innerHTML = `<a href="/store/product.html?sku=${encodeURIComponent(p.sku)}" data-testid="product-${esc(p.sku)}">` +
        `${picture(p, '')}<span class="name">${esc(p.name)}</span><span class="price">${money(p.price)}</span></a>`;
      li.querySelector('svg').removeAttribute('role');
      li.querySelector('svg').setAttribute('aria-hidden', 'true');
      ul.appendChild(li);
    }
  }

  function product(main) {
    const p = find(new URLSearchParams(location.search).get('sku'));
    if (!p) {
      main.innerHTML = '<h1>Product not found</h1><p><a href="/store/index.html">Back to the catalogue</a></p>';
      return;
    }
    document.title = `${p.name} \u2014 Northlight demo store`;
    const box = main.querySelector('.product');
    box.querySelector('.pic-slot').innerHTML = picture(p);
    box.querySelector('h1').textContent = p.name;
    box.querySelector('.price').textContent = money(p.price);
    box.querySelector('.desc').textContent = p.desc;
    box.querySelector('.sku').textContent = `Article ${p.sku}`;
    const form = box.querySelector('form.buy');
    const msg = box.querySelector('.added');
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const qty = Math.max(1, Math.min(99, parseInt(form.qty.value, 10) || 1));
      addToCart(p.sku, qty);
      msg.innerHTML = `Added ${qty} \u00d7 ${esc(p.name)} to your cart. <a href="/store/cart.html">Go to the cart</a>`;
    });
    /* the widget reads its data- attributes when a call starts */
    const w = document.querySelector('script[src$="storegw.js"]');
    if (w) {
      w.dataset.sku = p.sku;
      chooseTarget(w, main.querySelector('[data-testid=selftest]'));
    }
  }

  /* Reps when the demo token endpoint mints tokens for them (make demo);
   * else (the gateway's built-in defaults: no reps, no demo tokens) the
   * echo self-test, said on the page. body[data-target] when decided. */
  async function chooseTarget(w, note) {
    let store = null;
    try {
      const r = await fetch('/store/token?dest=rep', { cache: 'no-store' });
      if (r.ok) store = (await r.json()).store || w.dataset.store;
    } catch (e) { /* no endpoint: echo */ }
    if (store) {
      w.dataset.store = store;
    } else {
      w.dataset.store = ECHO_STORE;
      w.dataset.to = 'echo';
      w.dataset.tokenUrl = '/store/token?dest=echo';
      if (note) note.hidden = false;
    }
    try { localStorage.setItem(STORE_KEY, w.dataset.store); } catch (e) { /* storage off */ }
    document.body.dataset.target = w.dataset.to;
  }

  function orderStore() {
    const lc = lastCall();
    if (lc && lc.store) return lc.store;
    try { return localStorage.getItem(STORE_KEY) || ECHO_STORE; } catch (e) { return ECHO_STORE; }
  }

  function lastCall() {
    try {
      const c = JSON.parse(sessionStorage.getItem('storegw:lastcall') || 'null');
      return c && typeof c.call === 'string' ? c : null;
    } catch (e) { return null; }
  }

  function cartPage(main) {
    const list = main.querySelector('.lines');
    const total = main.querySelector('.total');
    const form = main.querySelector('form.order');
    const result = main.querySelector('.result');

    function draw() {
      const c = cart();
      list.textContent = '';
      let sum = 0;
      for (const it of c) {
        const p = find(it.sku);
        sum += Number(p.price) * it.qty;
        const li = document.createElement('li');
        li.innerHTML = `${picture(p, '')}<span class="name">${esc(p.name)}</span>` +
          `<label class="qty">Quantity <input type="number" min="0" max="99" value="${it.qty}" aria-label="Quantity of ${esc(p.name)}"></label>` +
          `<span class="price">${money(Number(p.price) * it.qty)}</span>` +
          `<button type="button" class="remove" aria-label="Remove ${esc(p.name)} from the cart">Remove</button>`;
        li.querySelector('svg').setAttribute('aria-hidden', 'true');
        li.querySelector('svg').removeAttribute('role');
        li.querySelector('input').addEventListener('change', (e) => {
          const q = Math.max(0, Math.min(99, parseInt(e.target.value, 10) || 0));
          saveCart(cart().map((x) => (x.sku === it.sku ? { sku: x.sku, qty: q } : x)).filter((x) => x.qty > 0));
          draw();
        });
        li.querySelector('.remove').addEventListener('click', () => {
          saveCart(cart().filter((x) => x.sku !== it.sku));
          draw();
          main.querySelector('h1').focus();
        });
        list.appendChild(li);
      }
      total.textContent = c.length ? `Total ${money(sum)}` : 'Your cart is empty.';
      form.hidden = !c.length;
    }

    function clearErrors() {
      form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
      form.querySelectorAll('.field-error').forEach((el) => { el.textContent = ''; });
    }

    /* the server's field ("customer.email", "items[1].qty") -> our input */
    function fieldInput(field) {
      const m = /^customer\.(\w+)$/.exec(field || '');
      return m ? form.querySelector(`[name=${m[1]}]`) : null;
    }

    function showResult(text, kind) {
      result.className = `result ${kind}`;
      result.textContent = text;
    }

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors();
      const c = cart();
      if (!c.length) { showResult('Your cart is empty.', 'bad'); return; }
      const customer = {};
      for (const k of ['name', 'email', 'phone', 'address']) {
        const v = form[k].value.trim();
        if (v) customer[k] = v;   /* optional fields are left out, never "" */
      }
      const body = { store: orderStore(), items: c.map((i) => ({ sku: i.sku, qty: i.qty, price: find(i.sku).price })), customer };
      const lc = lastCall();
      if (lc) {
        body.call = lc.call;
        if (lc.reps && lc.reps.length) body.reps = lc.reps.slice(0, 16);
      }
      const btn = form.querySelector('[data-testid=order-submit]');
      btn.disabled = true;
      form.setAttribute('aria-busy', 'true');
      showResult('Placing your order\u2026', 'wait');
      /* one key per cart submission: a retry after a lost answer is the same order */
      if (!form.dataset.key) form.dataset.key = `k-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
      let res, data = null;
      try {
        res = await fetch('/api/v1/orders', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': form.dataset.key },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        try { data = JSON.parse(text); } catch (err) { data = null; }
      } catch (err) {
        btn.disabled = false;
        form.removeAttribute('aria-busy');
        showResult('We could not reach the store to place your order. Please check your connection and try again.', 'bad');
        return;
      }
      btn.disabled = false;
      form.removeAttribute('aria-busy');
      if (res.status === 201 || (res.ok && data && data.order)) {
        result.dataset.order = data.order;
        showResult(`Thank you! Your order number is ${data.order} (${data.status || 'received'}). ` +
          'We will e-mail you a confirmation.', 'ok');
        delete form.dataset.key;
        saveCart([]);
        draw();
        form.reset();
        result.focus();
        return;
      }
      if (res.status === 400 && data && data.error === 'bad-order') {
        const input = fieldInput(data.field);
        const msg = `${data.message || 'Please check this field.'}`;
        if (input) {
          input.setAttribute('aria-invalid', 'true');
          const errEl = form.querySelector(`#err-${input.name}`);
          errEl.textContent = msg;
          showResult(`Please correct the ${input.name} field: ${msg}.`, 'bad');
          input.focus();
        } else {
          showResult(`The order was refused (${data.field || 'order'}: ${msg}).`, 'bad');
        }
        delete form.dataset.key;
        return;
      }
      if (res.status === 404 || res.status === 405 || res.status === 501) {
        showResult(`Ordering is not available on this store yet (the server answered ${res.status}). ` +
          'Your cart is kept; please try again later.', 'bad');
        return;
      }
      if (res.status === 503 || res.status === 429) {
        showResult(`The store is busy (the server answered ${res.status}). Your cart is kept; please try again in a minute.`, 'bad');
        return;
      }
      showResult(`The order could not be placed (the server answered ${res.status}` +
        `${data && data.message ? `: ${data.message}` : ''}). Your cart is kept; please try again.`, 'bad');
    });

    const lc = lastCall();
    const note = main.querySelector('.helped');
    if (lc && note) note.textContent = 'Your order will mention the conversation you had with our representative.';
    draw();
  }

  function init() {
    header();
    const main = document.querySelector('main');
    const page = document.body.dataset.page;
    if (page === 'product') product(main);
    else if (page === 'cart') cartPage(main);
    else catalogue(main);
  }

  window.storeDemo = { PRODUCTS, cart, addToCart, saveCart };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
