// The technician app's service worker: keeps the app shell so the app opens without network.
// API calls (/api, /mobile) are never cached here: their data lives in IndexedDB.
const VERSION = "{{ version }}";
const CACHE = `tech-shell-${VERSION}`;
const SHELL = ["/tech/", "/tech/manifest.webmanifest", {{ files | tojson }}].flat();

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith("tech-shell-") && k !== CACHE).map((k) => caches.delete(k)),
      ))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!url.pathname.startsWith("/tech/") || url.pathname === "/tech/sw.js") return;
  const key = request.mode === "navigate" ? "/tech/" : url.pathname;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const hit = await cache.match(key);
      if (hit) return hit;
      const response = await fetch(request);
      if (response.ok && SHELL.includes(key)) cache.put(key, response.clone());
      return response;
    }),
  );
});
