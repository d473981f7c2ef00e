-- 10,000 readings per request over 100 devices (the largest batch the API takes), built once per wrk thread.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
math.randomseed(os.time())
local body
request = function()
  if body == nil then
    local items = {}
    for i = 1, 10000 do
      items[i] = string.format('{"device_id":%d,"temperature":%.1f,"humidity":%.1f}',
        math.random(1, 100), 20 + math.random() * 5, 50 + math.random() * 10)
    end
    body = '{"readings":[' .. table.concat(items, ",") .. ']}'
  end
  return wrk.format(nil, "/api/readings/batch", nil, body)
end
