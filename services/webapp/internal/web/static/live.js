// live.js: shows order status changes as they happen. It listens to the
// webapp's server-sent events (/events: the signed-in buyer's order status
// changes, which the webapp hears on the event bus) and updates the order
// page's status, or the row of the orders list, adding a row for a new
// order. No polling: the browser keeps one stream open, and reconnects.
"use strict";
(function () {
  if (!window.EventSource) { return; }
  var main = document.getElementById("main");
  var rows = document.getElementById("order-rows");

  function cell(child) {
    var td = document.createElement("td");
    if (typeof child === "string") { td.textContent = child; } else { td.appendChild(child); }
    return td;
  }

  function addRow(change) {
    var tr = document.createElement("tr");
    tr.className = "order";
    tr.dataset.orderNumber = String(change.orderNumber);
    var a = document.createElement("a");
    a.href = "/orders/" + change.orderNumber;
    a.textContent = "#" + change.orderNumber;
    var status = document.createElement("span");
    status.className = "order-status";
    status.textContent = change.status;
    tr.appendChild(cell(a));
    tr.appendChild(cell("just now"));
    tr.appendChild(cell(status));
    tr.appendChild(cell(""));
    rows.insertBefore(tr, rows.firstChild);
    var none = document.getElementById("no-orders");
    if (none) { none.hidden = true; }
  }

  function show(change) {
    var detail = document.getElementById("order-status");
    if (detail && main && main.dataset.orderNumber === String(change.orderNumber)) {
      detail.textContent = change.status;
    }
    if (!rows) { return; }
    var row = rows.querySelector('tr.order[data-order-number="' + change.orderNumber + '"]');
    if (row) {
      row.querySelector(".order-status").textContent = change.status;
    } else {
      addRow(change);
    }
  }

  var source = new EventSource("/events");
  source.addEventListener("status", function (event) {
    try { show(JSON.parse(event.data)); } catch (e) { /* not a change: ignore */ }
  });
})();
