"""Docker HEALTHCHECK of Bagou's images: exits 0 when the URL answers 200, else 1.

    python healthcheck.py [URL]      (default: $HEALTHCHECK_URL)

The slim Python images have no curl; this uses the standard library only, never a
proxy from the environment, and a short timeout. Kubernetes does not use it: its probes
are in deploy/k8s/.
"""

import os
import sys
import urllib.request


def main() -> int:
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("HEALTHCHECK_URL", "")
    if not url:
        print("healthcheck: no URL", file=sys.stderr)
        return 1
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=float(os.environ.get("HEALTHCHECK_TIMEOUT", "4"))) as answer:
            return 0 if answer.status == 200 else 1
    except Exception as error:  # HTTP 503, refused, timeout: all mean "not healthy"
        print(f"healthcheck: {url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
