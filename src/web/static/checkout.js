// SPDX-License-Identifier: ISC
// checkout.js — the card step of the ordering sites.  The card field is
// the payment agent's page in an iframe on the agent's own origin; this
// script only asks it (postMessage, to that origin only) for a single-use
// token and submits the token id with the form.  Card numbers never reach
// this page, its script or rentport.
(function () {
  'use strict';
  var form = document.getElementById('pay-form');
  var frame = document.getElementById('card-frame');
  if (!form || !frame) return;
  var origin = frame.getAttribute('data-origin');
  var out = document.getElementById('payment_token');
  var err = document.getElementById('card-error');
  var done = false;

  // the form's own submit button (looked up when used: the script may run
  // before the rest of the form is parsed)
  function button() {
    return form.querySelector('button[type=submit]') || { disabled: false };
  }

  window.addEventListener('message', function (ev) {
    if (ev.origin !== origin || ev.source !== frame.contentWindow) return;
    var m = ev.data || {};
    if (m.type === 'paysim:token' && m.token &&
        /^tok_[A-Za-z0-9_]{1,60}$/.test(String(m.token.id))) {
      out.value = m.token.id;
      done = true;
      form.submit();
    } else if (m.type === 'paysim:error') {
      err.textContent = err.getAttribute('data-msg') +
        (m.message ? ' (' + String(m.message).slice(0, 200) + ')' : '');
      err.hidden = false;
      button().disabled = false;
    }
  });
  form.addEventListener('submit', function (ev) {
    if (done) return;
    ev.preventDefault();
    err.hidden = true;
    button().disabled = true;
    frame.contentWindow.postMessage({ type: 'paysim:tokenize' }, origin);
  });
})();
