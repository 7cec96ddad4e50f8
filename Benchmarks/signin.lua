-- wrk script: POST a sign-in (the benchmark fills in the password through the environment).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"identifier":"bench","password":"' .. os.getenv("BENCH_PASSWORD") .. '","device":{"client_identifier":"bench-client","name":"wrk"}}'
