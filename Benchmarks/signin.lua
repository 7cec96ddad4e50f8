-- wrk script: POST sign-ins, rotating over the accounts bench0 ... bench63 (the benchmark fills in the password
-- through the environment).
local password = os.getenv("BENCH_PASSWORD")
local counter = 0
local headers = { ["Content-Type"] = "application/json" }

request = function()
    counter = counter + 1
    local body = '{"identifier":"bench' .. (counter % 64) .. '","password":"' .. password
        .. '","device":{"client_identifier":"bench-client","name":"wrk"}}'
    return wrk.format("POST", nil, headers, body)
end
