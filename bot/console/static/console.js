// The console's few behaviours (no inline script: the pages have a strict CSP).
(function () {
  "use strict";

  // « Imprimer le résumé » and « Télécharger en PDF »: the print stylesheet keeps only
  // the learner's summary, on A4; the print dialog's « Enregistrer au format PDF » makes
  // the file (bot/console/summary.py says why the browser makes the PDF).
  function setUpPrint() {
    ["imprimer", "pdf", "imprimer-codes"].forEach((id) => {
      const button = document.getElementById(id);
      if (button) button.addEventListener("click", () => window.print());
    });
  }

  function setUpInterview() {
    const chat = document.querySelector("bagou-chat");
    if (!chat) return;
    // Where the chat sits is the stylesheet's work (console.css, « The interview page »).
    // Closed with « Fermer », the chat's block shrinks to its button that opens it again,
    // so that no screen of white is left.
    const watchOpen = () => {
      const root = chat.shadowRoot && chat.shadowRoot.querySelector(".bagou");
      if (!root) return;
      const update = () => chat.classList.toggle("is-closed", !root.classList.contains("is-open"));
      new MutationObserver(update).observe(root, { attributes: true, attributeFilter: ["class"] });
      update();
    };
    if (chat.ready) watchOpen(); else chat.addEventListener("bagou-ready", watchOpen, { once: true });
    // A quick button asks its question in the chat, as if the adviser had typed it.
    document.querySelectorAll(".quick-question").forEach((button) => {
      button.addEventListener("click", () => {
        if (typeof chat.send === "function") chat.send(button.dataset.question);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    setUpPrint();
    setUpInterview();
  });
})();
