// checkout.js: hands the card to payment's tokenization endpoint straight
// from the page, and submits the checkout with the token payment answered.
// The card number and security code inputs have no name, so the browser
// never posts them to the shop; this script sends them to payment only.
"use strict";
(function () {
  var form = document.getElementById("checkout");
  if (!form) { return; }
  var field = function (id) { return document.getElementById(id); };

  function showError(text) {
    var p = form.querySelector("p.error.js");
    if (!p) {
      p = document.createElement("p");
      p.className = "error js";
      p.setAttribute("role", "alert");
      form.insertBefore(p, form.firstChild);
    }
    p.textContent = text;
  }

  // "MM/YY" → the end of that month, as RFC 3339.
  function expiration(text) {
    var m = /^(0[1-9]|1[0-2])\/([0-9]{2})$/.exec(text.trim());
    if (!m) { return null; }
    return new Date(Date.UTC(2000 + Number(m[2]), Number(m[1]), 1) - 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  form.addEventListener("submit", function (event) {
    if (field("paymentToken").value) { return; } // tokenized: let it go
    event.preventDefault();
    var exp = expiration(field("cardExpiration").value);
    if (!exp) { showError("The expiration must be MM/YY, e.g. 12/30."); return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.dataset.paymentUrl + "/api/payment/cards", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        cardNumber: field("cardNumber").value.replace(/\s+/g, ""),
        cardHolderName: field("cardHolderName").value,
        cardExpiration: exp,
        cardSecurityNumber: field("cardSecurityNumber").value,
        cardTypeId: Number(field("cardTypeId").value),
        buyerId: form.dataset.buyerId // the token pays only this buyer's orders
      })
    }).then(function (res) {
      return res.json().then(function (body) { return { ok: res.ok, body: body }; });
    }).then(function (answer) {
      if (!answer.ok) {
        var b = answer.body || {};
        var messages = [b.detail || "The card was refused."];
        Object.keys(b.errors || {}).forEach(function (k) { messages.push(k + ": " + b.errors[k].join(", ")); });
        throw new Error(messages.join(" "));
      }
      var t = answer.body;
      field("paymentToken").value = t.paymentToken;
      field("cardLast4").value = t.cardLast4;
      field("cardHolderNameToken").value = t.cardHolderName;
      field("cardExpirationToken").value = t.cardExpiration;
      field("cardNumber").value = "";
      field("cardSecurityNumber").value = "";
      form.submit();
    }).catch(function (err) {
      button.disabled = false;
      showError(err && err.message && err.message !== "Failed to fetch" ? err.message : "Payment cannot be reached; please try again.");
    });
  });
})();
