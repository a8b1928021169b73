// Mission control's only script: follow the page's event stream (server-sent events) and, when the server says the
// page changed, fetch it again and swap its main content. Without JavaScript the pages work; they just do not update.
(() => {
  "use strict";
  const main = document.getElementById("main");
  const url = main && main.dataset.stream;
  if (!url || !window.EventSource) {
    return;
  }

  let stamp = main.dataset.stamp || "";
  let busy = false;
  const source = new EventSource(url);
  source.onmessage = async (event) => {
    const editing = document.activeElement && main.contains(document.activeElement) && document.activeElement.closest("form");
    if (event.data === stamp || busy || editing) {
      return;
    }

    busy = true;
    try {
      const response = await fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } });
      if (response.ok) {
        const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("main");
        if (fresh) {
          main.innerHTML = fresh.innerHTML;
          stamp = fresh.dataset.stamp || event.data;
          if (!fresh.dataset.stream) {
            source.close();
          }
        }
      }
    } finally {
      busy = false;
    }
  };
})();
