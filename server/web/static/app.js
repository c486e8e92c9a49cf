// checkpost review page: zoomable evidence images and the live queue. The
// pages work without this script (forms and links are plain HTML); it only
// adds zoom and live updates.
'use strict';

function setupZoom(box) {
  const inner = box.querySelector('.zoom-inner');
  if (!inner) return;
  let scale = 1, x = 0, y = 0;
  const apply = () => {
    const w = box.clientWidth, h = box.clientHeight;
    // Keep the image covering the frame: no panning past its edges.
    x = Math.min(0, Math.max(x, w - w * scale));
    y = Math.min(0, Math.max(y, h - h * scale));
    inner.style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
    box.dataset.scale = scale.toFixed(2);
  };
  const zoomAt = (factor, cx, cy) => {
    const next = Math.min(12, Math.max(1, scale * factor));
    x = cx - (cx - x) * next / scale;
    y = cy - (cy - y) * next / scale;
    scale = next;
    apply();
  };
  const centre = () => [box.clientWidth / 2, box.clientHeight / 2];
  box.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = box.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  let drag = null;
  box.addEventListener('pointerdown', (e) => {
    drag = { px: e.clientX, py: e.clientY, x, y };
    box.setPointerCapture(e.pointerId);
    box.classList.add('dragging');
  });
  box.addEventListener('pointermove', (e) => {
    if (!drag) return;
    x = drag.x + e.clientX - drag.px;
    y = drag.y + e.clientY - drag.py;
    apply();
  });
  const end = () => { drag = null; box.classList.remove('dragging'); };
  box.addEventListener('pointerup', end);
  box.addEventListener('pointercancel', end);
  box.addEventListener('keydown', (e) => {
    const step = 40;
    switch (e.key) {
      case '+': case '=': zoomAt(1.25, ...centre()); break;
      case '-': case '_': zoomAt(0.8, ...centre()); break;
      case '0': scale = 1; x = 0; y = 0; apply(); break;
      case 'ArrowLeft': x += step; apply(); break;
      case 'ArrowRight': x -= step; apply(); break;
      case 'ArrowUp': y += step; apply(); break;
      case 'ArrowDown': y -= step; apply(); break;
      default: return;
    }
    e.preventDefault();
  });
  const tools = box.parentElement.querySelector('.zoom-tools');
  if (tools) {
    tools.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-zoom]');
      if (!b) return;
      if (b.dataset.zoom === 'in') zoomAt(1.5, ...centre());
      else if (b.dataset.zoom === 'out') zoomAt(1 / 1.5, ...centre());
      else { scale = 1; x = 0; y = 0; apply(); }
    });
  }
}

// The queue is pushed its changes by the server (Server-Sent Events); when
// the stream cannot be had (an old browser, a proxy that buffers, the
// session ended), it polls every few seconds instead, the server answering
// 204 while nothing changed. New rows are highlighted and announced.
function setupLiveQueue(table) {
  const live = document.getElementById('live');
  let version = table.dataset.version;
  const seen = () => new Set([...table.querySelectorAll('tbody tr[data-id]')].map((tr) => tr.dataset.id));
  const query = () => {
    const q = new URLSearchParams(table.dataset.query || '');
    q.set('v', version);
    return '/ui/queue/rows?' + q.toString();
  };
  const show = (html, newVersion, count) => {
    const before = seen();
    const focused = document.activeElement && document.activeElement.closest('tbody') ? document.activeElement.closest('tr')?.dataset.id : null;
    const tpl = document.createElement('template');
    tpl.innerHTML = html.trim();
    const body = tpl.content.querySelector('tbody');
    if (body) {
      table.querySelector('tbody').replaceWith(body);
      let fresh = 0;
      body.querySelectorAll('tr[data-id]').forEach((tr) => {
        if (!before.has(tr.dataset.id)) { tr.classList.add('fresh'); fresh++; }
      });
      if (focused) {
        const link = body.querySelector(`tr[data-id="${CSS.escape(focused)}"] a`);
        if (link) link.focus();
      }
      live.textContent = (fresh ? `${fresh} new case${fresh === 1 ? '' : 's'}. ` : 'Queue updated. ') + `${count} in the queue.`;
    }
    version = newVersion || version;
    table.dataset.version = version;
  };
  const poll = async () => {
    try {
      const res = await fetch(query(), { headers: { 'X-Requested-With': 'fetch' }, credentials: 'same-origin' });
      if (res.status === 401) { live.textContent = 'Your session has ended: reload the page to sign in again.'; return; }
      if (res.status === 200) show(await res.text(), res.headers.get('X-Queue-Version'), res.headers.get('X-Queue-Count'));
    } catch (e) {
      live.textContent = 'The server cannot be reached; retrying.';
    }
    setTimeout(poll, 3000);
  };
  const startPolling = () => {
    // At once: catch up on what changed while the stream was down.
    table.dataset.live = 'poll';
    poll();
  };
  if (!window.EventSource) { startPolling(); return; }
  const es = new EventSource(query());
  es.addEventListener('open', () => { table.dataset.live = 'stream'; });
  es.addEventListener('rows', (e) => {
    const m = JSON.parse(e.data);
    show(m.html, m.version, m.count);
  });
  es.addEventListener('error', () => {
    // CONNECTING: the browser reconnects by itself (the server ends each
    // stream after a while). CLOSED: refused (e.g. signed out): poll,
    // which says so.
    if (es.readyState === EventSource.CLOSED) { es.close(); startPolling(); }
  });
}

// The waiting times count on between updates (as the server words them).
function tickWaiting(table) {
  const age = (s) => {
    if (s < 60) return `${Math.floor(s)} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min`;
    if (s < 48 * 3600) return `${Math.floor(s / 3600)} h ${Math.floor(s / 60) % 60} min`;
    return `${Math.floor(s / 86400)} days`;
  };
  setInterval(() => {
    const now = Date.now() / 1000;
    table.querySelectorAll('td.waiting[data-since]').forEach((td) => {
      td.textContent = age(Math.max(0, now - Number(td.dataset.since)));
    });
  }, 10000);
}

// j and k move between the queue's cases (Enter opens the focused one),
// unless the focus is in a form field.
function setupQueueKeys(table) {
  document.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || (e.key !== 'j' && e.key !== 'k')) return;
    if (e.target.closest('input, select, textarea, button')) return;
    const links = [...table.querySelectorAll('a.case-link')];
    if (!links.length) return;
    const i = links.indexOf(document.activeElement);
    const next = e.key === 'j' ? (i < 0 ? 0 : Math.min(i + 1, links.length - 1)) : (i < 0 ? 0 : Math.max(i - 1, 0));
    links[next].focus();
    e.preventDefault();
  });
}

document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('.zoom').forEach(setupZoom);
  const q = document.getElementById('queue');
  if (q) {
    setupLiveQueue(q);
    setupQueueKeys(q);
    tickWaiting(q);
  }
});
