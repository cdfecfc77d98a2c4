/*
 * Bagou chat widget: a web component in plain JavaScript, with no build step.
 *
 *   <script src="https://<bagou host>/widget/bagou.js" defer></script>
 *   <bagou-chat></bagou-chat>
 *
 * Attributes (all optional; see widget/README.md):
 *   server      address of the Bagou gateway (default: where this script comes from)
 *   chat-title  title of the chat window
 *   short-title its short form, shown on phones so that the header keeps one line (default: Bagou)
 *   color       main colour, #rgb or #rrggbb (text on it is black or white, for contrast)
 *   position    "right" (default) or "left"
 *   site-token  signed token of the host site that identifies the learner
 *   lang        language wanted; the texts exist in French only for now
 *   privacy-url the host site's page about personal data (default: BAGOU_PRIVACY_URL)
 *
 * Why it is written this way:
 * - Every French text comes from the gateway (/widget/texts.json, from texts/widget.yml),
 *   where the FALC checker reads it. This file holds no text that a person reads.
 * - The bot's text is never parsed as HTML: it is built with text nodes, and only
 *   **bold**, line breaks and web addresses become elements. No innerHTML, no eval, no
 *   inline style or script: the widget works under a strict Content-Security-Policy.
 * - The styles live in the shadow root (a constructed stylesheet), so the host page
 *   cannot break the widget and the widget cannot break the host page.
 * - Accessibility follows docs/falc-rules.md: one role="log" for the messages, a
 *   role="status" for « L'assistant écrit », labelled controls, Esc closes and gives
 *   the focus back to the launcher, speech never starts by itself.
 * - On a phone the conversation gets the room (issue 23): the header is one line, and
 *   the tools (Recommencer, « Mon badge est-il vrai ? », Réglages, the credits) fold
 *   into one « Menu » button, a disclosure (aria-expanded, aria-controls) whose list
 *   drops over the messages, right after the button in the Tab order; Esc closes it
 *   and gives the focus back to « Menu ». A disclosure and not role="menu": its items
 *   are ordinary buttons and a settings group, reached with Tab as everywhere else.
 * - Two kinds of buttons under an answer, told apart by shape, icon and words: the
 *   questions (3 in view, any more behind « Autres choix », a group named « Questions
 *   à poser ») send a text to Bagou;
 *   the pages (a list named « Pages à ouvrir », each link says « nouvel onglet ») open
 *   a page. The course's own controls (pause, stop) are a third, plain row (« La
 *   formation »), always in view and not counted among the 3.
 * - After a button the focus goes to the person's own new message, at once, so that
 *   Tab goes on to the answer's buttons; the answer itself is never focused (the log
 *   reads it out). See choose().
 * - « Utile » and « Pas utile » only under FAQ answers (`feedback_topics`).
 * - Pictograms (OpenMoji, served by the gateway as files) help the text and never
 *   replace it: the theme's word is always written beside the picture, so the picture
 *   has an empty alt text and screen readers read the word once.
 */
(() => {
  "use strict";

  if (window.customElements.get("bagou-chat")) return; // the script is on the page twice

  // The gateway that served this script is the default server, so that a host page
  // needs nothing but the two tags. currentScript is only set while the script runs.
  const SCRIPT = document.currentScript;
  const DEFAULT_SERVER = SCRIPT && SCRIPT.src ? new URL("..", SCRIPT.src).href : location.origin + "/";

  // Text sizes of the messages, in CSS pixels; FALC asks for 18 px at least.
  const TEXT_SIZES = [18, 20, 22, 25, 28, 32];
  const DEFAULT_SIZE = 1;
  const SPEECH_RATES = { vitesse_lente: 0.75, vitesse_normale: 1, vitesse_rapide: 1.3 };
  const REQUEST_TIMEOUT_MS = 30000;
  // Question buttons under one answer: more would be too many to read (issue 23).
  const MAX_QUESTIONS = 3;
  // A thumb that the gateway refused for a while is sent again after its Retry-After
  // (kept within these bounds) or after 5, 10, 20 … seconds, 2 minutes at most.
  const FEEDBACK_RETRY_S = { min: 1, first: 5, max: 120 };
  // Badge files that the gateway checks (bot/verify): baked images and JSON. The gateway
  // reads the kind from the bytes; this list only helps the file picker.
  const BADGE_FILES = ".png,.svg,.json,image/png,image/svg+xml,application/json";
  const SAFE_PROTOCOLS = ["http:", "https:", "mailto:", "tel:"];
  const SVG_NS = "http://www.w3.org/2000/svg";
  // Material-style icons (24 × 24 paths); they are decoration, the words say it all.
  const ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2zm2 4v2h12V8H6zm0 4v2h8v-2H6z",
    close: "M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z",
    restart: "M12 5V1L7 6l5 5V7a6 6 0 1 1-6 6H4a8 8 0 1 0 8-8z",
    smaller: "M3 17h2.4l1-3h4.2l1 3H14L9.7 5H8.3L3 17zm4.1-5L8.5 8l1.4 4H7.1zM15 11h7v2h-7z",
    bigger: "M3 17h2.4l1-3h4.2l1 3H14L9.7 5H8.3L3 17zm4.1-5L8.5 8l1.4 4H7.1zM17 8h2v3h3v2h-3v3h-2v-3h-3v-2h3z",
    speaker: "M3 9v6h4l5 5V4L7 9H3zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4zM14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z",
    stop: "M6 6h12v12H6z",
    pause: "M6 5h4v14H6V5zm8 0h4v14h-4V5z",
    up: "M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6V3a1.5 1.5 0 0 0-.4-1L13.2 1 6.6 7.6A2 2 0 0 0 6 9v10a2 2 0 0 0 2 2h9a2 2 0 0 0 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z",
    down: "M22 3h-4v12h4V3zM2 14a2 2 0 0 0 2 2h6.3l-1 4.6V21a1.5 1.5 0 0 0 .4 1l1.1 1 6.6-6.6A2 2 0 0 0 18 15V5a2 2 0 0 0-2-2H7a2 2 0 0 0-1.8 1.2l-3 7.1c-.1.2-.2.5-.2.7v2z",
    open: "M14 3v2h3.6l-9.8 9.8 1.4 1.4L19 6.4V10h2V3h-7zm5 16H5V5h7V3H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2v-7h-2v7z",
    send: "M2 21 23 12 2 3v7l15 2-15 2z",
    badge: "M12 2a7 7 0 0 0-4 12.7V22l4-2 4 2v-7.3A7 7 0 0 0 12 2zm0 2a5 5 0 1 1 0 10 5 5 0 0 1 0-10zm-1.2 7.6L8 8.8l1.4-1.4 1.4 1.4 3.8-3.8L16 6.4l-5.2 5.2z",
    settings: "M3 17v2h6v-2H3zM3 5v2h10V5H3zm10 16v-2h8v-2h-8v-2h-2v6h2zM7 9v2H3v2h4v2h2V9H7zm14 4v-2H11v2h10zm-6-4h2V7h4V5h-4V3h-2v6z",
    menu: "M3 6h18v2H3V6zm0 5h18v2H3v-2zm0 5h18v2H3v-2z",
    more: "M13 7h-2v4H7v2h4v4h2v-4h4v-2h-4V7zm-1-5a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16z",
    question: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 17h-2v-2h2v2zm2.1-7.7-.9.9c-.7.7-1.2 1.3-1.2 2.8h-2v-.5c0-1.1.5-2.1 1.2-2.8l1.2-1.3A2 2 0 1 0 10 9H8a4 4 0 1 1 7.1 2.3z",
    info: "M11 7h2v2h-2V7zm0 4h2v6h-2v-6zm1-9a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16z",
  };

  // Web Speech API: absent from some browsers; then there is no « Écouter » button.
  const speech = window.speechSynthesis && typeof window.SpeechSynthesisUtterance === "function"
    ? window.speechSynthesis : null;

  // --- small helpers ---------------------------------------------------------------

  /** An element with attributes, listeners (onclick …) and children (strings become text). */
  function h(tag, attributes = {}, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === false || value === null || value === undefined) continue;
      if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
      else element.setAttribute(name, value === true ? "" : String(value));
    }
    element.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
    return element;
  }

  function icon(name) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "icon");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    path.setAttribute("fill", "currentColor");
    svg.append(path);
    return svg;
  }

  /** Browser storage can be missing or refused (private modes): the widget works without. */
  function storage(kind) {
    try {
      const store = window[kind];
      return {
        get: (key) => store.getItem(key),
        set: (key, value) => store.setItem(key, value),
        remove: (key) => store.removeItem(key),
      };
    } catch (_error) {
      return { get: () => null, set: () => {}, remove: () => {} };
    }
  }
  // The conversation stays with the browser tab (reloads, other pages of the site) and
  // goes when the tab closes: on a shared computer, the next person does not see it.
  const tabStore = storage("sessionStorage");
  // Reading preferences (text size, speed of the voice) are not personal: they stay.
  const prefStore = storage("localStorage");

  function safeUrl(address) {
    try {
      const url = new URL(address, location.href);
      return SAFE_PROTOCOLS.includes(url.protocol) ? url.href : null;
    } catch (_error) {
      return null;
    }
  }

  const ADDRESS = /\b(?:https?:\/\/|www\.)[^\s<>"]*[^\s<>".,;:!?'")\]]/g;

  /** Text with web addresses turned into links, everything else as plain text. */
  function appendWithLinks(parent, text, newTabLabel) {
    let last = 0;
    for (const match of text.matchAll(ADDRESS)) {
      const address = match[0].startsWith("www.") ? `https://${match[0]}` : match[0];
      const url = safeUrl(address);
      parent.append(text.slice(last, match.index));
      parent.append(url ? externalLink(url, match[0], newTabLabel) : match[0]);
      last = match.index + match[0].length;
    }
    parent.append(text.slice(last));
  }

  function externalLink(url, title, newTabLabel) {
    // A page opened by the link cannot reach back to the host page (noopener).
    return h("a", { href: url, target: "_blank", rel: "noopener noreferrer" },
      title, h("span", { class: "visually-hidden" }, `, ${newTabLabel}`), icon("open"));
  }

  /** The bot's text: **bold**, line breaks and web addresses; nothing is read as HTML. */
  function formatText(text, newTabLabel) {
    const fragment = document.createDocumentFragment();
    String(text).split("\n").forEach((line, index) => {
      if (index > 0) fragment.append(h("br"));
      line.split(/\*\*(.+?)\*\*/g).forEach((part, position) => {
        if (!part) return;
        // split() with a capture group puts the bold parts at odd positions.
        const target = position % 2 ? fragment.appendChild(h("strong")) : fragment;
        appendWithLinks(target, part, newTabLabel);
      });
    });
    return fragment;
  }

  /** What the voice reads: the text without the ** marks. */
  function plainText(text) {
    return String(text).replace(/\*\*(.+?)\*\*/g, "$1");
  }

  /** Black or white, whichever reads better on the colour (WCAG relative luminance). */
  function luminance(hex) {
    const full = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, "$&$&").slice(1) : hex.slice(1);
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16) / 255)
      .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }

  function contrast(a, b) {
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }

  /** Loads the texts and the stylesheet once per server, for every widget on the page. */
  const resources = new Map();
  function loadResources(server, lang) {
    if (!resources.has(server)) {
      const texts = fetch(new URL(`widget/texts.json?lang=${encodeURIComponent(lang)}`, server))
        .then((response) => { if (!response.ok) throw new Error(`texts: ${response.status}`); return response.json(); });
      const css = fetch(new URL("widget/bagou.css", server))
        .then((response) => { if (!response.ok) throw new Error(`css: ${response.status}`); return response.text(); });
      resources.set(server, Promise.all([texts, css]).then(([config, cssText]) => {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(cssText);
        return { config, sheet };
      }));
    }
    return resources.get(server);
  }

  // --- the element -----------------------------------------------------------------

  class BagouChat extends HTMLElement {
    static get observedAttributes() {
      return ["chat-title", "short-title", "color", "position"];
    }

    constructor() {
      super();
      // Open, so that assistive technologies and accessibility checkers see inside.
      this.attachShadow({ mode: "open" });
      this.sessionId = null;
      this.busy = false;
      this.speaking = null;
      this.ready = false;
      this.onOffline = () => this.setOffline(true);
      this.onOnline = () => { this.setOffline(false); this.flushFeedback(); };
      this.pending = {}; // thumbs not stored yet: { message id: { session, value, before } }
      this.feedbackDelay = FEEDBACK_RETRY_S.first;
    }

    connectedCallback() {
      if (this.started) { // moved elsewhere in the page: it is already drawn
        if (this.ready) { this.listen(true); this.flushFeedback(); }
        return;
      }
      this.started = true;
      this.start();
    }

    disconnectedCallback() {
      if (!this.ready) return;
      this.listen(false);
      this.stopSpeaking();
      clearTimeout(this.flushTimer);
    }

    /** Network changes (offline, online) are said in the window. */
    listen(on) {
      const method = on ? "addEventListener" : "removeEventListener";
      window[method]("offline", this.onOffline);
      window[method]("online", this.onOnline);
    }

    attributeChangedCallback(name) {
      if (!this.ready) return;
      if (name === "chat-title" || name === "short-title") this.showTitle();
      if (name === "color") this.applyTheme();
      if (name === "position") this.root.dataset.position = this.position();
    }

    async start() {
      this.server = new URL(this.getAttribute("server") || DEFAULT_SERVER, location.href).href.replace(/\/?$/, "/");
      try {
        const { config, sheet } = await loadResources(this.server, this.getAttribute("lang") || "fr");
        this.t = config.texts;
        this.maxChars = config.max_message_chars;
        this.suggestions = config.suggestions || [];
        this.welcome = config.welcome || { text: config.texts.accueil, privacy_url: null };
        this.credit = config.credit || null;
        this.themeButtons = config.theme_buttons || {};
        this.feedbackTopics = new Set(config.feedback_topics || []);
        this.courseControls = config.course_controls || {};
        this.textLang = config.lang;
        this.sheet = sheet;
      } catch (error) {
        // Without its texts the widget has nothing to say to the person: it stays out of
        // the page. The reason is for the site's developer (often BAGOU_ALLOWED_ORIGINS).
        console.error(`Bagou: cannot load the widget from ${this.server} (is this site in BAGOU_ALLOWED_ORIGINS?)`, error);
        return;
      }
      this.keys = {
        session: `bagou:${this.server}:session`, open: `bagou:${this.server}:open`,
        feedback: `bagou:${this.server}:feedback`,
      };
      // A page that has already bound a conversation to the person (Moodle's LTI launch)
      // gives its id; layout="page" fills the whole page and opens at once.
      const given = this.getAttribute("session");
      if (given) tabStore.set(this.keys.session, given);
      this.render();
      if (this.getAttribute("layout") === "page") this.root.dataset.layout = "page";
      this.applyTheme();
      this.ready = true;
      this.listen(true);
      if (!navigator.onLine) this.setOffline(true);
      await this.restore();
      this.flushFeedback(); // thumbs kept before a reload or on another page of the site
      // Open again on the next page if it was open: the person goes on where they were,
      // but the focus stays where the page puts it.
      if (tabStore.get(this.keys.open) === "1" || this.root.dataset.layout === "page") {
        this.open({ focus: false });
      }
      this.dispatchEvent(new CustomEvent("bagou-ready"));
    }

    chatTitle() {
      return this.getAttribute("chat-title") || this.t.titre;
    }

    showTitle() {
      const full = this.chatTitle();
      const short = this.getAttribute("short-title") || this.t.bagou;
      this.titleElement.replaceChildren(h("span", { class: "title-full" }, full),
        short === full ? null : h("span", { class: "title-short" }, short));
      this.panel.setAttribute("aria-label", full);
      this.fitTitle();
    }

    /**
     * The header keeps one line at every width (issue 23): the full title when it fits
     * beside « Menu » and « Fermer », else the short one (« Bagou »); the window's name,
     * read by screen readers, stays whole. Measured, not guessed from the screen's width:
     * a host's own chat-title, the zoom and the fonts all change what fits.
     */
    fitTitle() {
      const title = this.titleElement;
      if (!title.clientWidth) return; // the window is closed: measured when it opens
      title.dataset.fit = "full";
      const fits = title.scrollWidth <= title.clientWidth;
      title.dataset.fit = fits || !title.querySelector(".title-short") ? "full" : "short";
    }

    position() {
      return this.getAttribute("position") === "left" ? "left" : "right";
    }

    /** The colour of the site, with a text colour that keeps a contrast of 4.5:1. */
    applyTheme() {
      const color = (this.getAttribute("color") || "").trim();
      const rules = [];
      if (/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(color)) {
        const light = luminance(color);
        const onColor = contrast(light, 1) >= contrast(light, 0) ? "#ffffff" : "#000000";
        // Coloured text on the white window: the colour itself when it reads well, else
        // a dark grey (a pale yellow would be unreadable on white).
        const ink = contrast(light, 1) >= 4.5 ? color : "#1a1a1a";
        rules.push(`:host { --bagou-color: ${color}; --bagou-on-color: ${onColor}; --bagou-ink: ${ink}; }`);
      } else if (color) {
        console.warn(`Bagou: color="${color}" is not #rgb or #rrggbb; the default colour is used.`);
      }
      const theme = new CSSStyleSheet();
      theme.replaceSync(rules.join("\n"));
      this.shadowRoot.adoptedStyleSheets = [this.sheet, theme];
    }

    // --- building the window ---------------------------------------------------------

    render() {
      const t = this.t;
      this.launcher = h("button", {
        type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "bagou-panel",
        onclick: () => this.open(),
      }, icon("chat"), h("span", {}, t.lanceur));

      // On a phone the header keeps one line: the title shows its short form (« Bagou »,
      // or the short-title attribute) instead of a cut one; the window's name stays whole.
      this.titleElement = h("h2", { id: "bagou-title", class: "title" });
      const closeButton = h("button", { type: "button", class: "tool close", onclick: () => this.close() },
        icon("close"), h("span", {}, t.fermer));

      this.smaller = h("button", { type: "button", class: "tool", onclick: () => this.resize(-1) },
        icon("smaller"), h("span", {}, t.texte_plus_petit));
      this.bigger = h("button", { type: "button", class: "tool", onclick: () => this.resize(1) },
        icon("bigger"), h("span", {}, t.texte_plus_grand));
      const restart = h("button", { type: "button", class: "tool", onclick: () => { this.closeMenu(); this.restart(); } },
        icon("restart"), h("span", {}, t.recommencer));
      // Text size and voice speed sit behind « Réglages », in the menu, so that the
      // window stays simple. Once opened, the settings stay open on the next pages (a
      // person who needs them keeps them).
      const settings = h("div", { id: "bagou-settings", class: "settings", hidden: prefStore.get("bagou:settings") !== "1" },
        h("div", { class: "setting", role: "group", "aria-labelledby": "bagou-size-label" },
          h("span", { id: "bagou-size-label", class: "setting-label" }, t.taille_du_texte), this.smaller, this.bigger),
        speech ? this.renderRateControl() : null);
      const settingsButton = h("button", {
        type: "button", class: "tool", "aria-expanded": String(!settings.hidden), "aria-controls": "bagou-settings",
        onclick: () => {
          settings.hidden = !settings.hidden;
          settingsButton.setAttribute("aria-expanded", String(!settings.hidden));
          prefStore.set("bagou:settings", settings.hidden ? "0" : "1");
        },
      }, icon("settings"), h("span", {}, t.reglages));
      // « Mon badge est-il vrai ? »: a real button opens the file picker. The file input
      // itself is hidden (not rendered): the keyboard and screen readers meet one control
      // with a clear name, and no invisible 1-pixel target sits in the panel.
      this.fileInput = h("input", {
        type: "file", hidden: true,
        accept: BADGE_FILES,
        onchange: () => {
          const file = this.fileInput.files[0];
          this.fileInput.value = "";
          if (file) this.upload(file);
        },
      });
      const verifyButton = h("button", {
        type: "button", class: "tool verify", onclick: () => { this.closeMenu({ focus: false }); this.fileInput.click(); },
      }, icon("badge"), h("span", {}, t.verifier_badge));
      const creditsButton = h("button", {
        type: "button", class: "tool", onclick: () => { this.closeMenu(); this.showCredits(); },
      }, icon("info"), h("span", {}, t.qui_a_fait));
      this.menu = h("div", { id: "bagou-menu", class: "menu", hidden: true },
        restart, verifyButton, settingsButton, settings, creditsButton, this.fileInput);
      this.menuButton = h("button", {
        type: "button", class: "tool menu-button", "aria-expanded": "false", "aria-controls": "bagou-menu",
        onclick: () => (this.menu.hidden ? this.openMenu() : this.closeMenu()),
      }, icon("menu"), h("span", {}, t.menu));

      this.notice = h("p", { class: "notice", hidden: true }, t.hors_ligne);
      this.log = h("div", {
        class: "log", role: "log", "aria-live": "polite", "aria-label": t.conversation,
        // Focusable, so that the keyboard can scroll a long conversation.
        tabindex: "0",
      });
      this.status = h("p", { class: "status", role: "status" });

      this.input = h("input", {
        id: "bagou-input", type: "text", name: "question", autocomplete: "off",
        enterkeyhint: "send", "aria-describedby": "bagou-error",
        oninput: () => { if (this.input.value.length <= this.maxChars) this.showInputError(""); },
      });
      this.inputError = h("p", { id: "bagou-error", class: "input-error", hidden: true });
      const form = h("form", {
        class: "ask", novalidate: true,
        onsubmit: (event) => { event.preventDefault(); this.send(this.input.value, { typed: true }); },
      },
      h("label", { for: "bagou-input" }, t.question),
      h("div", { class: "row" }, this.input,
        h("button", { type: "submit", class: "send" }, icon("send"), h("span", {}, t.envoyer))),
      this.inputError);

      this.panel = h("section", {
        id: "bagou-panel", class: "panel", role: "dialog", "aria-label": this.chatTitle(), hidden: true,
      // The menu follows its button in the header: after « Menu », Tab reaches its items.
      }, this.head = h("header", { class: "head" }, this.titleElement, this.menuButton, this.menu, closeButton),
      this.notice, this.log, this.status, form);

      this.root = h("div", { class: "bagou", lang: this.textLang, dir: "ltr" }, this.launcher, this.panel);
      // The focus leaving the menu (Tab past its last item) folds it: an open list never
      // hides the messages that the keyboard reaches next.
      this.menu.addEventListener("focusout", (event) => {
        const next = event.relatedTarget;
        if (next && !this.menu.contains(next) && next !== this.menuButton) this.closeMenu({ focus: false });
      });
      // A touch or a click elsewhere in the window folds the menu, as people expect.
      this.panel.addEventListener("pointerdown", (event) => {
        const path = event.composedPath();
        if (!path.includes(this.menu) && !path.includes(this.menuButton)) this.closeMenu({ focus: false });
      });
      this.root.dataset.position = this.position();
      this.root.addEventListener("keydown", (event) => {
        if (event.key !== "Escape" || this.panel.hidden) return;
        event.preventDefault();
        if (!this.menu.hidden) this.closeMenu(); // the menu first, then the window
        else this.close();
      });
      this.shadowRoot.replaceChildren(this.root);
      // The header's width changes with the screen, the zoom and the opening of the window.
      if (window.ResizeObserver) new ResizeObserver(() => this.fitTitle()).observe(this.head);
      this.showTitle();
      this.setSize(Number(prefStore.get("bagou:size") ?? DEFAULT_SIZE));
    }

    renderRateControl() {
      const saved = Number(prefStore.get("bagou:rate")) || 1;
      this.rate = saved;
      const select = h("select", {
        id: "bagou-rate",
        onchange: () => { this.rate = Number(select.value); prefStore.set("bagou:rate", String(this.rate)); },
      }, ...Object.entries(SPEECH_RATES).map(([key, rate]) =>
        h("option", { value: rate, selected: rate === saved }, this.t[key])));
      return h("div", { class: "setting" }, h("label", { for: "bagou-rate", class: "setting-label" }, this.t.vitesse_voix), select);
    }

    // --- open, close, size, restart ----------------------------------------------------

    open({ focus = true } = {}) {
      this.panel.hidden = false;
      this.root.classList.add("is-open");
      this.launcher.setAttribute("aria-expanded", "true");
      tabStore.set(this.keys.open, "1");
      // Show the start of the last answer: that is where the person reads on.
      const answers = this.log.querySelectorAll(".message.bot");
      if (answers.length) this.reveal(answers[answers.length - 1]);
      if (focus) this.input.focus();
    }

    openMenu() {
      this.menu.hidden = false;
      this.menuButton.setAttribute("aria-expanded", "true");
    }

    /** Folds the menu; the focus goes back to « Menu » unless an item moves it. */
    closeMenu({ focus = true } = {}) {
      if (this.menu.hidden) return;
      const inside = this.menu.contains(this.shadowRoot.activeElement);
      this.menu.hidden = true;
      this.menuButton.setAttribute("aria-expanded", "false");
      if (focus && inside) this.menuButton.focus();
    }

    close() {
      this.closeMenu({ focus: false });
      this.stopSpeaking();
      this.panel.hidden = true;
      this.root.classList.remove("is-open");
      this.launcher.setAttribute("aria-expanded", "false");
      tabStore.set(this.keys.open, "0");
      this.launcher.focus();
    }

    setSize(level) {
      const size = Math.min(TEXT_SIZES.length - 1, Math.max(0, Number.isFinite(level) ? level : DEFAULT_SIZE));
      this.size = size;
      this.root.dataset.size = String(size);
      // aria-disabled, not disabled: the button keeps the focus and says why it does nothing.
      this.smaller.setAttribute("aria-disabled", String(size === 0));
      this.bigger.setAttribute("aria-disabled", String(size === TEXT_SIZES.length - 1));
      prefStore.set("bagou:size", String(size));
    }

    resize(step) {
      const before = this.size;
      this.setSize(this.size + step);
      if (this.size !== before) this.say(this.t.taille_texte);
    }

    restart() {
      this.stopSpeaking();
      this.sessionId = null;
      tabStore.remove(this.keys.session);
      this.log.replaceChildren();
      this.showWelcome();
      this.say(this.t.nouvelle_conversation);
      this.input.focus();
    }

    /** A short message for screen readers and sighted people, in the status line. */
    say(message) {
      this.status.replaceChildren(message);
      clearTimeout(this.sayTimer);
      this.sayTimer = setTimeout(() => { if (!this.busy) this.status.replaceChildren(); }, 6000);
    }

    setOffline(offline) {
      this.notice.hidden = !offline;
      if (!offline && this.wasOffline) this.say(this.t.en_ligne);
      this.wasOffline = offline;
    }

    setTyping(typing) {
      this.busy = typing;
      clearTimeout(this.sayTimer);
      // The dots are decoration: screen readers hear « L'assistant écrit ».
      this.status.replaceChildren(...(typing
        ? [this.t.ecrit, h("span", { class: "dots", "aria-hidden": "true" }, "…")] : []));
    }

    showInputError(message) {
      this.inputError.replaceChildren(message);
      this.inputError.hidden = !message;
      if (message) this.input.setAttribute("aria-invalid", "true");
      else this.input.removeAttribute("aria-invalid");
    }

    // --- messages ----------------------------------------------------------------------

    /**
     * The first message: what Bagou is and what to do, the theme buttons, then what it
     * keeps, what it hides and how to reach a person (`facts`), one line each, in the
     * same message. In that order so that the buttons are in view on a 360 × 640 phone.
     */
    showWelcome() {
      const privacy = this.getAttribute("privacy-url") || this.welcome.privacy_url;
      const links = privacy ? [{ title: this.t.page_donnees, url: privacy }] : [];
      this.addMessage({ sender: "bot", text: this.welcome.text, buttons: this.suggestions,
        facts: this.welcome.facts || "", links, welcome: true });
    }

    /** « Qui a fait Bagou ? »: the credit that the pictograms' licence asks for. */
    showCredits() {
      const links = this.credit ? [{ title: this.t.site_openmoji, url: this.credit.url },
        { title: this.t.licence_images, url: this.credit.licence_url }] : [];
      const message = this.addMessage({ sender: "bot", text: this.t.credits, links });
      this.reveal(message);
    }

    /** A pictogram beside its word: the word says it all, so the picture's alt is empty. */
    pictogram(found, withName) {
      if (!found || !found.url) return null;
      const url = safeUrl(new URL(found.url, this.server).href);
      if (!url) return null;
      const img = h("img", { class: "picto", src: url, alt: "", width: "32", height: "32", decoding: "async" });
      return withName ? h("span", { class: "theme" }, img, h("span", {}, found.name)) : img;
    }

    /**
     * One message in the log. `feedback` asks for the thumbs (the last answer of a turn
     * that the gateway stored); `error` marks the messages of the widget about a problem.
     */
    addMessage({ sender, text, buttons = [], links = [], id = null, feedback = false, thumb = null, error = false,
      pictogram = null, facts = "", welcome = false }) {
      const t = this.t;
      const bot = sender === "bot";
      const body = h("div", { class: "text" });
      if (bot) body.append(formatText(text, t.nouvel_onglet));
      else body.append(text); // what the person typed is text, always
      const message = h("div", { class: `message ${bot ? "bot" : "user"}${error ? " error" : ""}${welcome ? " welcome" : ""}` },
        // The speaker is said in words, not by the colour alone; the theme of the
        // answer, with its pictogram, on the same line.
        h("p", { class: "who" }, h("span", {}, bot ? t.bagou : t.vous), bot ? this.pictogram(pictogram, true) : null), body);

      // The course's own controls (« Faire une pause », « Arrêter la formation ») are
      // not questions about the content: they get a row of their own, always in view,
      // in the same place under every message of the course (see controlRow).
      const controls = buttons.filter((button) => this.isControl(button));
      const asked = buttons.filter((button) => !this.isControl(button));
      // At most 3 questions in view; more wait behind « Autres choix », so that nothing
      // is lost.
      const questions = asked.slice(0, MAX_QUESTIONS);
      const others = asked.slice(MAX_QUESTIONS);
      const choice = (button) => h("button", { type: "button", class: "choice", onclick: () => this.choose(button) },
        this.pictogram(button.pictogram || this.themeButtons[button.title], false) || icon("question"),
        h("span", {}, button.title));
      if (questions.length) {
        const group = h("div", { class: "choices", role: "group", "aria-label": t.questions }, ...questions.map(choice));
        if (others.length) {
          this.othersCount = (this.othersCount || 0) + 1;
          const rest = h("div", { id: `bagou-others-${this.othersCount}`, class: "choices others", hidden: true },
            ...others.map(choice));
          const toggle = h("button", {
            type: "button", class: "small others-button", "aria-expanded": "false", "aria-controls": rest.id,
            onclick: () => {
              rest.hidden = !rest.hidden;
              toggle.setAttribute("aria-expanded", String(!rest.hidden));
            },
          }, icon("more"), h("span", {}, t.autres_choix));
          group.append(toggle, rest);
        }
        message.append(group);
      }
      // The first message's facts (what Bagou keeps …) come right under its buttons.
      if (facts) message.append(h("p", { class: "text facts" }, formatText(facts, t.nouvel_onglet)));
      const safeLinks = links.map((link) => ({ ...link, url: safeUrl(link.url) })).filter((link) => link.url);
      if (safeLinks.length) {
        message.append(h("ul", { class: "links", "aria-label": t.liens },
          ...safeLinks.map((link) => h("li", {}, externalLink(link.url, link.title, t.nouvel_onglet)))));
      }
      if (controls.length) message.append(this.controlRow(controls));
      if (bot && (speech || (feedback && id !== null))) {
        const actions = h("div", { class: "actions" });
        // « Écouter » reads the message in the order of the screen: the answer, the
        // questions that it offers, the facts of the first message, the course's controls.
        const heard = [text, ...asked.map((b) => b.title), facts, ...controls.map((b) => b.title)];
        if (speech) actions.append(this.listenButton(heard.filter(Boolean).join("\n")));
        if (feedback && id !== null) actions.append(...this.thumbButtons(id, thumb));
        message.append(actions);
      }
      this.log.append(message);
      return message;
    }

    /** A button of the course's own (pause, stop), told by its payload (texts.json). */
    isControl(button) {
      return Object.prototype.hasOwnProperty.call(this.courseControls, button.payload);
    }

    /**
     * The course's controls: a row of plain, square-cornered buttons with their own icon
     * (pause, stop) below the questions, in a group named « La formation ». They send
     * their payload like any button; they never hide behind « Autres choix ».
     */
    controlRow(controls) {
      return h("div", { class: "controls", role: "group", "aria-label": this.t.formation },
        ...controls.map((button) => h("button", {
          type: "button", class: "small control", onclick: () => this.choose(button),
        }, icon(this.courseControls[button.payload] === "stop" ? "stop" : "pause"), h("span", {}, button.title))));
    }

    listenButton(text) {
      const label = h("span", {}, this.t.ecouter);
      const button = h("button", { type: "button", class: "small listen" }, icon("speaker"), label);
      button.addEventListener("click", () => this.speak(text, button, label));
      return button;
    }

    /** Reads one message aloud, only when asked; a second press stops the voice. */
    speak(text, button, label) {
      const wasSpeaking = this.speaking && this.speaking.button === button;
      this.stopSpeaking();
      if (wasSpeaking) return;
      const utterance = new SpeechSynthesisUtterance(plainText(text));
      utterance.lang = "fr-FR";
      utterance.rate = this.rate || 1;
      const voices = speech.getVoices();
      const voice = voices.find((v) => v.lang === "fr-FR") || voices.find((v) => /^fr\b/i.test(v.lang));
      if (voice) utterance.voice = voice;
      const finished = () => {
        if (this.speaking && this.speaking.button === button) this.stopSpeaking({ cancel: false });
      };
      utterance.addEventListener("end", finished);
      utterance.addEventListener("error", finished);
      this.speaking = { button, label };
      label.textContent = this.t.arreter;
      button.replaceChild(icon("stop"), button.firstChild);
      speech.speak(utterance);
    }

    /** Silence, and the button that was reading says « Écouter » again. */
    stopSpeaking({ cancel = true } = {}) {
      if (!speech) return;
      if (this.speaking) {
        const { button, label } = this.speaking;
        label.textContent = this.t.ecouter;
        button.replaceChild(icon("speaker"), button.firstChild);
        this.speaking = null;
      }
      if (cancel) speech.cancel();
    }

    thumbButtons(id, thumb) {
      const make = (value, iconName, text) => h("button", {
        type: "button", class: "small thumb", "aria-pressed": String(thumb === value),
        "data-id": id, "data-value": value, onclick: () => this.queueFeedback(id, value),
      }, icon(iconName), h("span", {}, text));
      return [make("up", "up", this.t.utile), make("down", "down", this.t.pas_utile)];
    }

    /** Presses the thumb `value` (or none) of an answer, if it is on the screen. */
    showThumb(id, value) {
      const buttons = this.log.querySelectorAll(`.thumb[data-id="${id}"]`);
      buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.value === value)));
      return buttons.length > 0;
    }

    /**
     * A thumb is kept in the tab until the gateway stores it: a person's opinion is not
     * lost when the network or the database fails for a while. One entry per answer,
     * the newest value wins; sending it twice is harmless (a new thumb replaces the old).
     */
    queueFeedback(id, value) {
      const pressed = this.log.querySelector(`.thumb[data-id="${id}"][aria-pressed="true"]`);
      // `before` is what the gateway has: the thumb goes back to it if it is refused.
      const before = id in this.pending ? this.pending[id].before : (pressed ? pressed.dataset.value : null);
      this.pending[id] = { session: this.sessionId, value, before };
      this.savePending();
      this.showThumb(id, value);
      this.flushFeedback({ clicked: true });
    }

    savePending() {
      if (Object.keys(this.pending).length) tabStore.set(this.keys.feedback, JSON.stringify(this.pending));
      else tabStore.remove(this.keys.feedback);
    }

    /** Drops a thumb, unless the person changed it while it was on its way. */
    dropFeedback(id, value) {
      const same = Boolean(this.pending[id]) && this.pending[id].value === value;
      if (same) delete this.pending[id];
      this.savePending();
      return same;
    }

    /**
     * Sends the kept thumbs, one at a time. A transient failure (no network, 429, 5xx)
     * keeps them and plans the next try; a refusal (4xx: unknown session or answer)
     * drops the thumb, since sending it again cannot work.
     */
    async flushFeedback({ clicked = false } = {}) {
      this.feedbackClicked = this.feedbackClicked || clicked;
      if (this.flushing) { this.flushAgain = true; return; } // one sender at a time
      clearTimeout(this.flushTimer);
      if (!Object.keys(this.pending).length) return;
      this.flushing = true;
      // Only a click is answered when the thumb must wait: later tries stay silent.
      const announce = this.feedbackClicked;
      this.feedbackClicked = false;
      let thanked = false;
      let wait = null;
      for (const [id, entry] of Object.entries(this.pending)) {
        let response = null;
        try {
          response = await this.post("api/feedback", { session_id: entry.session, message_id: Number(id), value: entry.value });
        } catch (_error) { /* no network, or no answer in time */ }
        if (response && response.ok) {
          this.dropFeedback(id, entry.value);
          thanked = true;
        } else if (response && response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status)) {
          const message = await response.json().then((body) => body.message, () => null);
          // A thumb of an old conversation, not on the screen, goes without a word.
          if (this.dropFeedback(id, entry.value) && this.showThumb(id, entry.before)) {
            this.say(typeof message === "string" ? message : this.t.serveur_injoignable);
          }
        } else {
          wait = this.retryDelay(response);
          break;
        }
      }
      this.flushing = false;
      if (wait !== null) {
        this.scheduleFlush(wait);
        if (announce) this.say(this.t.avis_garde);
      } else {
        this.feedbackDelay = FEEDBACK_RETRY_S.first;
        if (thanked) this.say(this.t.merci_avis);
      }
      if (this.flushAgain) { // asked again while sending (a click, an answer, online)
        this.flushAgain = false;
        this.flushFeedback();
      }
    }

    /** Seconds before the next try: the gateway's Retry-After, else 5, 10, 20 … 120. */
    retryDelay(response) {
      // Cross-origin pages see Retry-After only if the gateway exposes it (CORS).
      const header = response && response.headers.get("Retry-After");
      const asked = header && /^\d+$/.test(header.trim()) ? Number(header) : null;
      if (asked !== null) return Math.min(FEEDBACK_RETRY_S.max, Math.max(FEEDBACK_RETRY_S.min, asked));
      const delay = this.feedbackDelay;
      this.feedbackDelay = Math.min(FEEDBACK_RETRY_S.max, delay * 2);
      return delay;
    }

    scheduleFlush(seconds) {
      clearTimeout(this.flushTimer);
      this.flushTimer = setTimeout(() => this.flushFeedback(), seconds * 1000);
    }

    /** Puts the start of a new answer in view (the log or, when short, the window scrolls). */
    reveal(message) {
      const scroller = this.log.scrollHeight > this.log.clientHeight ? this.log : this.panel;
      const offset = message.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
      scroller.scrollTop += offset - 8;
    }

    // --- talking to the gateway --------------------------------------------------------

    post(path, body) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
      return fetch(new URL(path, this.server), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        signal: controller.signal,
      }).finally(() => clearTimeout(timer));
    }

    /**
     * A button of an answer: its payload is sent, its title is what the person sees.
     * The focus goes to the person's own new message (« Vous : La suite »), at once:
     * the answer comes right after it, so one Tab reaches the answer's first button.
     * Not to the field: a keyboard user who answers with buttons needed 6 or 7
     * Shift+Tab to come back, and on a phone the field's focus opened the keyboard over
     * the answer. Not to the answer when it arrives: moving the focus then would cut
     * the screen reader while the log reads the answer out (focus changes interrupt
     * speech), or make it read twice, and would pull the focus from a person who has
     * started typing in the meantime.
     */
    choose(button) {
      this.send(button.payload, { shown: button.title, chosen: true });
    }

    /** Sends a message: typed in the field, or the payload of a chosen button. */
    async send(raw, { typed = false, shown = null, chosen = false } = {}) {
      const text = String(raw).trim();
      if (!text || this.busy) return;
      if (typed && text.length > this.maxChars) {
        this.showInputError(this.t.texte_trop_long);
        this.input.focus();
        return;
      }
      this.showInputError("");
      if (!navigator.onLine) {
        this.addMessage({ sender: "bot", text: this.t.hors_ligne, error: true });
        return; // what the person typed stays in the field, to send later
      }
      if (typed) this.input.value = "";
      const mine = this.addMessage({ sender: "user", text: shown || text });
      if (chosen) {
        mine.tabIndex = -1; // reached by the script only, never by Tab
        mine.focus({ preventScroll: true });
      }
      this.log.scrollTop = this.log.scrollHeight;
      this.setTyping(true);
      try {
        // After a button, the person's message stays in view above the answer: the focus is there.
        this.showAnswer(await this.ask(text), { from: chosen ? mine : null });
      } catch (_error) {
        // No answer at all: no network, the gateway is down, or it took too long.
        this.addMessage({ sender: "bot", text: navigator.onLine ? this.t.serveur_injoignable : this.t.hors_ligne, error: true });
        if (typed && !this.input.value) this.input.value = text; // ready to send again
      } finally {
        this.setTyping(false);
      }
    }

    /**
     * Which reply of a turn gets « Utile » and « Pas utile »: none unless the turn is a
     * FAQ answer (`feedback_topics`); then its last reply, but not the course's
     * « On reprend ? » that follows a FAQ answer given in the middle of the course.
     */
    feedbackIndex(replies, topic) {
      if (!this.feedbackTopics.has(topic)) return -1;
      for (let index = replies.length - 1; index >= 0; index -= 1) {
        if (!(replies[index].buttons || []).some((button) => this.isControl(button))) return index;
      }
      return replies.length - 1;
    }

    /** The replies of a turn (chat or badge check); a FAQ answer gets the thumbs. */
    showAnswer(answer, { from = null } = {}) {
      if (answer.session_id) this.remember(answer.session_id);
      if (!answer.error) this.flushFeedback(); // the gateway works again: send the kept thumbs
      const thumbs = answer.error ? -1 : this.feedbackIndex(answer.replies, answer.topic);
      const messages = answer.replies.map((reply, index) => this.addMessage({
        sender: "bot", text: reply.text, buttons: reply.buttons || [], links: reply.links || [],
        id: reply.id ?? null, feedback: index === thumbs, error: Boolean(answer.error),
        pictogram: index === 0 ? answer.pictogram : null, // once per turn: its topic's theme
      }));
      if (messages.length) this.reveal(from || messages[0]);
    }

    /** A badge image or file chosen by the person: the gateway checks it, keeps nothing. */
    async upload(file) {
      if (this.busy) return;
      if (!navigator.onLine) {
        this.addMessage({ sender: "bot", text: this.t.hors_ligne, error: true });
        return;
      }
      this.addMessage({ sender: "user", text: this.t.image_badge });
      this.setTyping(true);
      try {
        this.showAnswer(await this.sendFile(file));
      } catch (_error) {
        this.addMessage({ sender: "bot", text: navigator.onLine ? this.t.serveur_injoignable : this.t.hors_ligne, error: true });
      } finally {
        this.setTyping(false);
        this.input.focus();
      }
    }

    async sendFile(file, retried = false) {
      const form = new FormData();
      form.append("file", file);
      if (this.sessionId) form.append("session_id", this.sessionId);
      const token = this.getAttribute("site-token");
      if (token) form.append("site_token", token);
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
      const response = await fetch(new URL("api/verify/upload", this.server), {
        method: "POST", body: form, signal: controller.signal,
      }).finally(() => clearTimeout(timer));
      const answer = await response.json();
      if (response.status === 404 && answer.error === "session_inconnue" && !retried) {
        this.forget();
        return this.sendFile(file, true);
      }
      if (!Array.isArray(answer.replies)) throw new Error("unexpected answer");
      return answer;
    }

    /** One chat turn. An error of the gateway has the same shape, with FALC replies. */
    async ask(text, retried = false) {
      const body = { text, session_id: this.sessionId };
      const token = this.getAttribute("site-token");
      if (token) body.site_token = token;
      const response = await this.post("api/chat", body);
      const answer = await response.json(); // a page that is not JSON is « no answer »
      if (response.status === 404 && answer.error === "session_inconnue" && !retried) {
        // The gateway forgot this conversation (its database was reset): start a new one
        // without bothering the person.
        this.forget();
        return this.ask(text, true);
      }
      if (!Array.isArray(answer.replies)) throw new Error("unexpected answer");
      return answer;
    }

    remember(sessionId) {
      this.sessionId = sessionId;
      tabStore.set(this.keys.session, sessionId);
    }

    forget() {
      this.sessionId = null;
      tabStore.remove(this.keys.session);
    }

    /** The conversation of this tab, fetched again from the gateway after a reload. */
    async restore() {
      this.showWelcome();
      try {
        const kept = JSON.parse(tabStore.get(this.keys.feedback));
        this.pending = kept && typeof kept === "object" ? kept : {};
      } catch (_error) {
        this.pending = {};
      }
      // sessionStorage may be blocked in a frame: the given session still counts.
      const sessionId = tabStore.get(this.keys.session) || this.getAttribute("session");
      if (!sessionId) return;
      this.sessionId = sessionId;
      // The old messages are not news: screen readers do not read them all out again.
      this.log.setAttribute("aria-busy", "true");
      try {
        const response = await fetch(new URL(`api/chat/${encodeURIComponent(sessionId)}/history`, this.server));
        if (response.status === 404 || response.status === 422) {
          this.forget();
          return;
        }
        if (!response.ok) return;
        const { messages } = await response.json();
        // The bot's messages that follow one message of the person are one turn: the
        // thumbs go where showAnswer put them.
        const thumbed = new Set();
        messages.forEach((message, start) => {
          if (message.sender !== "bot" || (start > 0 && messages[start - 1].sender === "bot")) return;
          let end = start;
          while (end < messages.length && messages[end].sender === "bot") end += 1;
          const at = this.feedbackIndex(messages.slice(start, end), message.topic);
          if (at >= 0) thumbed.add(start + at);
        });
        messages.forEach((message, index) => {
          this.addMessage({
            sender: message.sender, text: message.text, buttons: message.buttons || [],
            // A thumb still waiting to be sent shows as pressed.
            links: message.links || [], id: message.id,
            thumb: message.id in this.pending ? this.pending[message.id].value : message.feedback,
            feedback: thumbed.has(index),
            pictogram: index > 0 && messages[index - 1].sender === "bot" ? null : message.pictogram,
          });
        });
      } catch (_error) {
        // The gateway cannot be reached now: the next message will say so.
      } finally {
        this.log.removeAttribute("aria-busy");
      }
    }
  }

  window.customElements.define("bagou-chat", BagouChat);
})();
