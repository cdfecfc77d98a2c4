// The console's few behaviours (no inline script: the pages have a strict CSP).
(function () {
  "use strict";

  // « Imprimer le résumé »: the print stylesheet keeps only the learner's summary.
  function setUpPrint() {
    const button = document.getElementById("imprimer");
    if (button) button.addEventListener("click", () => window.print());
  }

  // The interview page: the chat (layout="page") takes the screen below the bar and,
  // on a wide screen, right of the quick questions.
  function placeChat(chat) {
    const bar = document.querySelector(".bar");
    const side = document.querySelector(".interview .side");
    const wide = window.matchMedia("(min-width: 50rem)").matches;
    const top = bar.getBoundingClientRect().bottom + window.scrollY;
    const sideBox = side.getBoundingClientRect();
    chat.style.setProperty("--bagou-top", `${wide ? top : sideBox.bottom + window.scrollY}px`);
    chat.style.setProperty("--bagou-left", `${wide ? sideBox.right : 0}px`);
  }

  function setUpInterview() {
    const chat = document.querySelector("bagou-chat");
    if (!chat) return;
    placeChat(chat);
    window.addEventListener("resize", () => placeChat(chat));
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
