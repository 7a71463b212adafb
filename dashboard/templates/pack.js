// Plotly sizes figures to the screen; printing re-lays them out to fit the page width and height.
(function () {
  function plots() { return Array.prototype.slice.call(document.querySelectorAll('.js-plotly-plot')); }
  function toPrint() {
    plots().forEach(function (p) {
      if (!p.dataset.screenHeight) { p.dataset.screenHeight = p.layout.height; }
      if (!p.dataset.legendFont) {
        var legend = p.layout.legend || {};
        p.dataset.legendFont = JSON.stringify((legend.font && legend.font.size) || null);
      }
      var size = p.closest('.plot').dataset;
      var height = Math.min(+p.dataset.screenHeight, +size.printHeight);
      p.parentElement.style.height = height + 'px';  // to_html's wrapper has the screen height
      Plotly.relayout(p, {width: +size.printWidth, height: height, 'legend.font.size': 11,
                          'legend.grouptitlefont.size': 12, 'legend.tracegroupgap': 2});
    });
  }
  function toScreen() {
    plots().forEach(function (p) {
      if (!p.dataset.screenHeight) { return; }
      p.parentElement.style.height = p.dataset.screenHeight + 'px';
      Plotly.relayout(p, {width: null, height: +p.dataset.screenHeight,
                          'legend.font.size': JSON.parse(p.dataset.legendFont), 'legend.grouptitlefont.size': null,
                          'legend.tracegroupgap': null});
    });
  }
  window.addEventListener('beforeprint', toPrint);
  window.addEventListener('afterprint', toScreen);
  var media = window.matchMedia('print');
  media.addEventListener('change', function (e) { if (e.matches) { toPrint(); } else { toScreen(); } });
})();
