// The head's "Ký" at their own desk (docs/ca.md, "Signing at the signer's desk"): the portal
// prepares the PDF and returns the digest to sign; this page hands it to the signing client
// on the head's computer (PORTAL_SIGNING_CLIENT_URL, allowed by the page's connect-src), opens
// the client's own confirmation page in a popup (the PIN is typed there, never here), polls
// the client, and posts the signature back to the portal, which checks it before anything
// changes. Two rounds: the head's signature, then the agency's seal (on a Mẫu 08 the receiving
// side then signs the same way: its officer, then its seal when it has one; the page draws the
// button for whoever signs next and the prepare/complete URLs name the party). The protocol is
// PROTOCOL.md's: POST /v1/sign, GET /v1/confirm/<id> (popup), GET /v1/sign/<id>. A key in
// the CA's HSM is authorised on the portal's own page instead (remoteRound below).
// No inline script, no eval: loaded as a file under the portal's Content-Security-Policy.
(function () {
  "use strict";

  // One block per document on the page (a campaign's page may offer several provinces).
  // The block's partial loads this file once per block: each block is set up only once.
  function setup(root) {
    if (root.dataset.deskReady) {
      return;
    }
    root.dataset.deskReady = "1";
    root.hidden = false;

    var button = root.querySelector("[data-desk-sign]");
    var statusLine = root.querySelector("[data-desk-status]");
    var missing = root.querySelector("[data-desk-client-missing]");
    var locked = root.querySelector("[data-desk-locked]");
    var recovery = root.querySelector("[data-desk-recovery]");
    var confirmLink = root.querySelector("[data-desk-confirm]");
    var clientUrl = root.dataset.clientUrl;
    var csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
    var POLL_MS = 1000;

    function message(code) {
      var item = root.querySelector('[data-desk-messages] [data-code="' + code + '"]');
      return item ? item.textContent.trim() : "";
    }

    function failure(code, text) {
      var error = new Error(text || message(code) || message("failed"));
      error.code = code;
      return error;
    }

    function show(text, isError) {
      statusLine.textContent = text;
      statusLine.classList.toggle("error", Boolean(isError));
    }

    function sleep(ms) {
      return new Promise(function (resolve) {
        window.setTimeout(resolve, ms);
      });
    }

    async function readJson(response) {
      try {
        return await response.json();
      } catch (ignored) {
        return {};
      }
    }

    async function portal(url, body) {
      var response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body || {}),
      });
      var data = await readJson(response);
      if (!response.ok) {
        throw failure(data.error || "portal", data.message);
      }
      return data;
    }

    async function client(path, options) {
      var response;
      try {
        response = await fetch(clientUrl + path, Object.assign({ credentials: "omit" }, options));
      } catch (unreachable) {
        throw failure("no_client", "");
      }
      var data = await readJson(response);
      if (!response.ok) {
        throw failure(data.error || "failed", data.message);
      }
      return data;
    }

    function openConfirm(popup, url) {
      confirmLink.href = url;
      if (popup && !popup.closed) {
        try {
          popup.location.href = url;
          return;
        } catch (ignored) {
          // fall through: the link below opens it
        }
      }
      confirmLink.hidden = false; // the browser blocked the popup: the head opens it
    }

    async function round(popup) {
      show(message("preparing"));
      var prepared = await portal(root.dataset.prepareUrl);
      if (prepared.recovery_url) {
        recovery.href = prepared.recovery_url;
        recovery.hidden = false;
      }
      if (prepared.remote_url) {
        return remoteRound(popup, prepared);
      }
      var sent = await client("/v1/sign", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          request_id: prepared.request_id,
          nonce: prepared.nonce,
          expires_at: prepared.expires_at,
          document: prepared.document,
          signer: prepared.signer,
          digest_algorithm: prepared.digest_algorithm,
          digest: prepared.digest,
          certificate_sha256: prepared.certificate_sha256,
        }),
      });
      show(prepared.step_label + ": " + message("confirm"));
      openConfirm(popup, sent.confirm_url);
      var deadline = Date.parse(prepared.expires_at);
      for (;;) {
        await sleep(POLL_MS);
        var result = await client("/v1/sign/" + encodeURIComponent(sent.id), { method: "GET" });
        if (result.status === "done") {
          break;
        }
        if (result.status === "error") {
          var text = message(result.error) || result.message;
          if (result.error === "pin_incorrect" && result.retries_left !== null && result.retries_left !== undefined) {
            text += " " + message("retries_left") + " " + result.retries_left + ".";
          }
          throw failure(result.error, text);
        }
        if (Date.now() > deadline + 5000) {
          throw failure("expired", "");
        }
      }
      confirmLink.hidden = true;
      show(message("verifying"));
      return portal(root.dataset.completeUrl, {
        request_id: result.request_id,
        nonce: result.nonce,
        signature: result.signature,
        certificate: result.certificate,
      });
    }

    // A key in the CA's HSM (docs/remote-signing.md): the portal's own authorisation page
    // asks for the signing PIN and the authenticator's code; this page polls the portal until
    // the signature is there, then posts it back as the client's answer.
    async function remoteRound(popup, prepared) {
      show(prepared.step_label + ": " + message(prepared.remote_kind === "sim" ? "sim_confirm" : "remote_confirm"));
      openConfirm(popup, prepared.remote_url);
      var deadline = Date.parse(prepared.expires_at);
      var result;
      for (;;) {
        await sleep(POLL_MS);
        var response = await fetch(prepared.remote_progress_url, { credentials: "same-origin" });
        result = await readJson(response);
        if (result.status === "done") {
          break;
        }
        if (result.status === "error") {
          throw failure(result.error, "");
        }
        if (Date.now() > deadline + 5000) {
          throw failure("expired", "");
        }
      }
      confirmLink.hidden = true;
      if (popup && !popup.closed) {
        popup.close();
      }
      show(message("verifying"));
      return portal(root.dataset.completeUrl, {
        request_id: prepared.request_id,
        nonce: prepared.nonce,
        signature: result.signature,
        certificate: result.certificate,
      });
    }

    button.addEventListener("click", async function () {
      missing.hidden = true;
      locked.hidden = true;
      confirmLink.hidden = true;
      button.disabled = true;
      // Opened now, while the click counts as the user's gesture; sent to the client's
      // confirmation page once the client has the request.
      var popup = window.open(root.dataset.waitUrl, "portal-signing-confirm", "popup,width=560,height=680");
      try {
        var outcome = await round(popup);
        if (outcome.status === "done") {
          window.location.assign(outcome.redirect);
          return;
        }
        show(outcome.message);
        button.textContent = message("seal_next");
      } catch (error) {
        if (popup && !popup.closed) {
          popup.close();
        }
        confirmLink.hidden = true;
        if (error.code === "no_client") {
          missing.hidden = false;
          show("");
        } else {
          if (error.code === "pin_locked") {
            locked.hidden = false;
          }
          show(error.message, true);
        }
      } finally {
        button.disabled = false;
      }
    });
  }

  if (!window.fetch) {
    return; // without scripts the upload below stays the way to send the signed letter
  }
  document.querySelectorAll("[data-desk-signing]").forEach(setup);
  // A block htmx swaps in later (the letter's page, once its PDF is rendered).
  document.addEventListener("htmx:load", function (event) {
    var root = event.detail.elt;
    if (!(root instanceof Element)) {
      return;
    }
    if (root.matches("[data-desk-signing]")) {
      setup(root);
    }
    root.querySelectorAll("[data-desk-signing]").forEach(setup);
  });
})();
