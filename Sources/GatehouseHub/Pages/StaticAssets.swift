/// The pages' stylesheet and script, served from `/static/` (the Content-Security-Policy allows no inline code).
enum StaticAssets {
    static let css = """
        :root { --fg: #1d2329; --muted: #5b6670; --line: #d8dde2; --bg: #f7f8fa; --accent: #1f5fae; --warn: #8a5300;
                --ok: #1d6b3a; --danger: #a12622; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
               background: var(--bg); }
        header.top { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; justify-content: space-between;
                     padding: .75rem 1.25rem; background: #fff; border-bottom: 1px solid var(--line); }
        header.top nav { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; }
        .brand { font-weight: 700; color: var(--fg); text-decoration: none; }
        main { max-width: 44rem; margin: 1.5rem auto; padding: 0 1.25rem 3rem; }
        h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
        h2 { font-size: 1.2rem; margin: 0 0 .75rem; }
        section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1.25rem; margin: 1rem 0; }
        label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
        label.check { font-weight: 400; display: flex; gap: .5rem; align-items: center; }
        input:not([type=checkbox]), textarea, select { width: 100%; padding: .6rem .7rem; font: inherit; border: 1px solid #9aa5b1;
                border-radius: 6px; background: #fff; }
        input:focus, textarea:focus, button:focus, a:focus { outline: 3px solid #8cb4ea; outline-offset: 1px; }
        input[aria-invalid=true] { border-color: var(--danger); }
        button { margin-top: 1rem; padding: .6rem 1.1rem; font: inherit; font-weight: 600; color: #fff;
                 background: var(--accent); border: 0; border-radius: 6px; cursor: pointer; }
        button.secondary { background: #fff; color: var(--accent); border: 1px solid var(--accent); }
        button.danger { background: var(--danger); }
        button.link { background: none; color: var(--accent); padding: 0; margin: 0; font-weight: 400; }
        form.inline { display: inline; }
        form.inline button { margin-top: 0; }
        a { color: var(--accent); }
        .hint { color: var(--muted); font-size: .92rem; margin: .25rem 0; }
        .error { color: var(--danger); font-weight: 600; margin: .25rem 0; }
        .flash { background: #e8f2ea; border: 1px solid #b7d8c0; padding: .6rem .9rem; border-radius: 6px; }
        .banner { background: #fff3cd; border-bottom: 1px solid #e0c66b; padding: .6rem 1.25rem; font-weight: 600;
                  text-align: center; }
        .notice { background: #eef4fc; border: 1px solid #bcd2ef; padding: .75rem 1rem; border-radius: 6px; }
        .tag { display: inline-block; font-size: .8rem; padding: 0 .45rem; border-radius: 999px; border: 1px solid; }
        .tag.ok { color: var(--ok); } .tag.warn { color: var(--warn); }
        .codes { columns: 2; font-size: 1.05rem; }
        .qr { display: block; margin: .5rem 0; image-rendering: pixelated; max-width: 100%; height: auto; }
        ul.devices, ul.servers { list-style: none; padding: 0; margin: 0; }
        li.server { display: flex; justify-content: space-between; align-items: center; gap: 1rem; padding: .6rem 0;
                    border-bottom: 1px solid var(--line); }
        li.server button { margin-top: 0; }
        .tag.bad { color: var(--danger); }
        li.device { display: flex; justify-content: space-between; align-items: center; gap: 1rem; padding: .6rem 0;
                    border-bottom: 1px solid var(--line); }
        li.device button { margin-top: 0; }
        table { width: 100%; border-collapse: collapse; font-size: .95rem; }
        th, td { text-align: left; padding: .4rem .3rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .5rem 1.5rem; background: #fff;
                   border: 1px solid var(--line); border-radius: 8px; padding: 1.25rem; }
        dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
        @media (max-width: 32rem) { li.device { flex-direction: column; align-items: flex-start; }
                                   dl.facts { grid-template-columns: 1fr; } .codes { columns: 1; } }
        """

    /// Progressive enhancement only: every page works without it.
    static let js = """
        // Offers to copy recovery codes to the clipboard.
        document.addEventListener("DOMContentLoaded", function () {
          var codes = document.getElementById("recovery-codes");
          if (codes && navigator.clipboard) {
            var copy = document.createElement("button");
            copy.type = "button";
            copy.className = "secondary";
            copy.textContent = "Copy codes";
            copy.addEventListener("click", function () {
              var text = Array.prototype.map.call(codes.querySelectorAll("code"), function (c) { return c.textContent; });
              navigator.clipboard.writeText(text.join("\\n"));
              copy.textContent = "Copied";
            });
            codes.parentNode.appendChild(copy);
          }
        });
        """

    /// Passkeys, as progressive enhancement: the sign-in page offers "Sign in with a passkey" and the security page
    /// "Add a passkey" only where the browser has WebAuthn. Each step is a form post with the page's CSRF token.
    static let passkeysJS = """
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
            return btoa(s).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
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
        """
}
