// HTTP to the public API: JSON POSTs with a bearer token, errors in the API's one format.

export class NetworkError extends Error {
  // The request may not have reached the server, or its answer was lost: retry it.
}

export class ApiError extends Error {
  // The server answered with a definite error: {status, code, message, details}.
  constructor(status, body) {
    super(`${status} ${body.code}: ${body.message}`);
    this.status = status;
    this.code = body.code;
    this.body = body;
  }
}

export const RETRYABLE = new Set([502, 503, 504]);

export async function request(method, path, { token, json, body, headers = {}, signal } = {}) {
  const init = { method, headers: { ...headers }, signal, cache: "no-store" };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new NetworkError(String(err));
  }
  if (response.status === 204) return null;
  let payload;
  try {
    payload = await response.json();
  } catch {
    payload = { code: "not_json", message: `HTTP ${response.status}` };
  }
  if (response.ok) return payload;
  if (RETRYABLE.has(response.status)) throw new NetworkError(`HTTP ${response.status}`);
  throw new ApiError(response.status, payload);
}

export const post = (path, json, token) => request("POST", path, { json, token });
