(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) { return; }
  function fromB64u(text) {
    var b = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    var out = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) { out[i] = b.charCodeAt(i); }
    return out.buffer;
  }
  function toB64u(buffer) {
    var bytes = new Uint8Array(buffer), s = "";
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function descriptors(list) {
    return (list || []).map(function (d) {
      var out = { type: d.type, id: fromB64u(d.id) };
      if (d.transports) { out.transports = d.transports; }
      return out;
    });
  }
  function creationOptions(o) {
    var copy = Object.assign({}, o);
    copy.challenge = fromB64u(o.challenge);
    copy.user = Object.assign({}, o.user, { id: fromB64u(o.user.id) });
    copy.excludeCredentials = descriptors(o.excludeCredentials);
    return copy;
  }
  function requestOptions(o) {
    var copy = Object.assign({}, o);
    copy.challenge = fromB64u(o.challenge);
    copy.allowCredentials = descriptors(o.allowCredentials);
    return copy;
  }
  function credentialJSON(c) {
    if (typeof c.toJSON === "function") { return c.toJSON(); }
    var r = c.response, out = { id: c.id, rawId: toB64u(c.rawId), type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {}, response: {
        clientDataJSON: toB64u(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = toB64u(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toB64u(r.authenticatorData);
      out.response.signature = toB64u(r.signature);
      if (r.userHandle) { out.response.userHandle = toB64u(r.userHandle); }
    }
    return out;
  }
  async function post(url, fields) {
    var response = await fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) });
    var body = {};
    try { body = await response.json(); } catch (e) { body = {}; }
    return { ok: response.ok, status: response.status, body: body };
  }
  function show(element, text) { element.textContent = text; element.hidden = false; }

  var signIn = document.getElementById("passkey-signin");
  if (signIn) {
    signIn.hidden = false;
    var signInError = document.getElementById("passkey-signin-error");
    document.getElementById("passkey-signin-button").addEventListener("click", async function () {
      signInError.hidden = true;
      var csrf = signIn.getAttribute("data-csrf");
      try {
        var options = await post("/sign-in/passkey/options", { csrf: csrf });
        if (!options.ok) { show(signInError, options.body.message || "Passkey sign-in is not available."); return; }
        var credential = await navigator.credentials.get({ publicKey: requestOptions(options.body.public_key) });
        var done = await post("/sign-in/passkey", { csrf: csrf, challenge_id: options.body.challenge_id,
          credential: JSON.stringify(credentialJSON(credential)) });
        if (done.ok && done.body.redirect) { window.location.assign(done.body.redirect); return; }
        show(signInError, done.body.message || "That passkey did not sign you in.");
      } catch (e) {
        show(signInError, "The passkey sign-in was cancelled.");
      }
    });
  }

  var second = document.getElementById("passkey-second");
  if (second) {
    second.hidden = false;
    var secondError = document.getElementById("passkey-second-error");
    document.getElementById("passkey-second-button").addEventListener("click", async function () {
      secondError.hidden = true;
      var csrf = second.getAttribute("data-csrf"), challenge = second.getAttribute("data-challenge");
      try {
        var options = await post("/sign-in/code/passkey/options", { csrf: csrf, challenge: challenge });
        if (!options.ok) { show(secondError, options.body.message || "No passkey can be used here."); return; }
        var credential = await navigator.credentials.get({ publicKey: requestOptions(options.body.public_key) });
        var done = await post("/sign-in/code/passkey", { csrf: csrf, challenge: challenge,
          challenge_id: options.body.challenge_id, credential: JSON.stringify(credentialJSON(credential)) });
        if (done.ok && done.body.redirect) { window.location.assign(done.body.redirect); return; }
        show(secondError, done.body.message || "That passkey did not sign you in.");
      } catch (e) {
        show(secondError, "The passkey check was cancelled.");
      }
    });
  }

  var confirm = document.getElementById("passkey-confirm");
  if (confirm) {
    confirm.hidden = false;
    var confirmError = document.getElementById("passkey-confirm-error");
    document.getElementById("passkey-confirm-button").addEventListener("click", async function () {
      confirmError.hidden = true;
      var csrf = confirm.getAttribute("data-csrf");
      try {
        var options = await post("/account/confirm/passkey/options", { csrf: csrf });
        if (!options.ok) { show(confirmError, options.body.message || "No passkey to confirm with."); return; }
        var credential = await navigator.credentials.get({ publicKey: requestOptions(options.body.public_key) });
        var done = await post("/account/confirm/passkey", { csrf: csrf, next: confirm.getAttribute("data-next"),
          challenge_id: options.body.challenge_id, credential: JSON.stringify(credentialJSON(credential)) });
        if (done.ok && done.body.redirect) { window.location.assign(done.body.redirect); return; }
        show(confirmError, done.body.message || "That passkey did not confirm it is you.");
      } catch (e) {
        show(confirmError, "The passkey confirmation was cancelled.");
      }
    });
  }

  var add = document.getElementById("passkey-add");
  if (add) {
    add.hidden = false;
    var addError = document.getElementById("passkey-add-error");
    document.getElementById("passkey-add-button").addEventListener("click", async function () {
      addError.hidden = true;
      var csrf = add.getAttribute("data-csrf");
      var name = document.getElementById("passkey_name").value.trim() || "Passkey";
      try {
        var options = await post("/account/security/passkeys/options", { csrf: csrf });
        if (options.status === 403 && options.body.redirect) { window.location.assign(options.body.redirect); return; }
        if (!options.ok) { show(addError, options.body.message || "Could not start."); return; }
        var credential = await navigator.credentials.create({ publicKey: creationOptions(options.body.public_key) });
        var done = await post("/account/security/passkeys", { csrf: csrf, name: name,
          challenge_id: options.body.challenge_id, credential: JSON.stringify(credentialJSON(credential)) });
        if (done.status === 403 && done.body.redirect) { window.location.assign(done.body.redirect); return; }
        if (done.ok) { window.location.href = "/account/security"; return; }
        show(addError, done.body.message || "The passkey was not added.");
      } catch (e) {
        show(addError, "Adding the passkey was cancelled.");
      }
    });
  }
})();
