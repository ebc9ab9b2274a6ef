// ChessWeb's push service worker: shows a pushed notification (plain text) and opens its link when clicked.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {title: "ChessWeb", message: event.data.text()}; }
  event.waitUntil(self.registration.showNotification(data.title || "ChessWeb", {
    body: data.message || "", tag: "chessweb-" + (data.id || ""), data: {url: data.url || "/notifications"}
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(clients.openWindow(event.notification.data.url));
});
