.PHONY: run test build release lint format bench-argon2 bench-hub

run:
	swift run gatehouse serve

build:
	swift build

release:
	swift build -c release

test:
	scripts/test.sh

# Package hygiene and swift-format, no build needed (CI runs it before the tests).
lint:
	scripts/lint.sh

format:
	scripts/lint.sh --format
