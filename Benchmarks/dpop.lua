-- wrk script for Benchmarks/dpop_bench.py: GET /api/v1/account with a bearer credential, or with a DPoP-bound one
-- and a fresh proof per request (proofs made beforehand by the Python driver, one file per wrk thread).
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  mode = os.getenv("DPOP_BENCH_MODE")
  token = os.getenv("DPOP_BENCH_TOKEN")
  path = os.getenv("DPOP_BENCH_PATH")
  proofs = {}
  if mode == "dpop" then
    for line in io.lines(os.getenv("DPOP_BENCH_DIR") .. "/proofs-" .. id .. ".txt") do
      proofs[#proofs + 1] = line
    end
  end
  sent = 0
end

function request()
  sent = sent + 1
  if mode == "dpop" then
    -- Wrapping around would replay a proof: the hub refuses it and wrk counts a non-2xx answer.
    local proof = proofs[(sent - 1) % #proofs + 1]
    return wrk.format("GET", path, {["Authorization"] = "DPoP " .. token, ["DPoP"] = proof})
  end
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
