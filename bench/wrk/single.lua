-- One reading per request, random device 1..100, JSON as the ESP32 sketch sends it.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
math.randomseed(os.time())
request = function()
  local body = string.format('{"device_id":%d,"temperature":%.1f,"humidity":%.1f}',
    math.random(1, 100), 20 + math.random() * 5, 50 + math.random() * 10)
  return wrk.format(nil, "/api/reading", nil, body)
end
