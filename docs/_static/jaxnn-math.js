// A display equation wider than the text column (a docstring's, say) is
// scaled down to fit, to no less than 75% of its size, once MathJax has
// typeset it; anything wider still is left for the docs' browser test to
// report. This file is loaded after the page's MathJax configuration and
// before MathJax itself (docs/conf.py).
window.MathJax = window.MathJax || {};
window.MathJax.startup = Object.assign(window.MathJax.startup || {}, {
  pageReady() {
    return MathJax.startup.defaultPageReady().then(() => {
      const shown = "mjx-container[display='true']";
      for (const el of document.querySelectorAll(shown)) {
        const svg = el.querySelector("svg");
        const room = el.clientWidth;
        const width = svg ? svg.getBoundingClientRect().width : 0;
        if (room > 0 && width > room) {
          const percent = Math.max(75, Math.floor((100 * room) / width));
          el.style.fontSize = `${percent}%`;
        }
      }
    });
  },
});
