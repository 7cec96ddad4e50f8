.PHONY: run test build release bench-argon2 bench-hub

run:
	swift run gatehouse serve

build:
	swift build

release:
	swift build -c release

test:
	scripts/test.sh
