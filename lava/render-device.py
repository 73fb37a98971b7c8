#!/usr/bin/python3
"""render-device.py - a LAVA device dictionary rendered into the device
configuration lava-run takes (--device), as lava-server renders it: the
device-type templates come from lava-server's package (lava-dispatcher ships
none), the job's "context" is passed in as lava-server passes it.

  lava/render-device.py DICT.jinja2 JOB.yaml TEMPLATES_DIR > device.yaml
"""
import os
import sys

import jinja2
import yaml


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    dictionary, job, templates = argv[1:]
    with open(job) as f:
        context = (yaml.safe_load(f) or {}).get("context", {})
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([os.path.dirname(os.path.abspath(dictionary)), templates]),
        trim_blocks=True, autoescape=False, undefined=jinja2.Undefined)
    text = env.get_template(os.path.basename(dictionary)).render(**context)
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or "actions" not in data:
        sys.stderr.write("render-device.py: %s rendered no device configuration\n" % dictionary)
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
