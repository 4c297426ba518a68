"""Runs a composite action's `run:` steps the way a GitHub runner does, for the install test.

usage: run_composite_action.py ACTION_YML WORKDIR [INPUT=VALUE]...

Each step's `env:` is evaluated, its `if:` decided, and its script run with bash, with GITHUB_OUTPUT,
GITHUB_PATH and GITHUB_ACTION_PATH set; outputs a step writes are what later steps' expressions
read. `uses:` steps (actions/cache) are not run: they answer as a cache miss. The expressions this
understands are the ones action.yml uses: inputs.X, steps.ID.outputs.X, runner.os / arch /
tool_cache, and `A != 'B'` / `A == 'B'` in `if:`. Anything else is an error, so a new expression in
action.yml fails the test instead of evaluating to nothing. Prints the job's PATH additions, one per
line, after a line "PATH:".
"""
import os
import re
import subprocess
import sys

from ruamel.yaml import YAML

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def main():
    action_path, workdir, *pairs = sys.argv[1:]
    inputs = dict(pair.split("=", 1) for pair in pairs)
    with open(action_path, encoding="utf-8") as handle:
        action = YAML(typ="safe").load(handle)
    for name, spec in action.get("inputs", {}).items():
        inputs.setdefault(name, spec.get("default", ""))
    runner = {"os": "Linux", "arch": "X64" if os.uname().machine == "x86_64" else "ARM64",
              "tool_cache": os.path.join(workdir, "toolcache")}
    steps = {}
    paths = []

    def value(expression):
        parts = expression.split(".")
        if parts[0] == "inputs" and len(parts) == 2:
            return inputs[parts[1]]
        if parts[0] == "runner" and len(parts) == 2:
            return runner[parts[1]]
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return steps.get(parts[1], {}).get(parts[3], "")
        raise SystemExit(f"run_composite_action: cannot evaluate ${{{{ {expression} }}}}")

    def substitute(text):
        return EXPRESSION.sub(lambda match: value(match.group(1)), str(text))

    def decide(condition):
        match = re.fullmatch(r"\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*", condition)
        if not match:
            raise SystemExit(f"run_composite_action: cannot decide if: {condition}")
        left, operator, right = match.groups()
        return (value(left) == right) == (operator == "==")

    for index, step in enumerate(action["runs"]["steps"]):
        if "if" in step and not decide(step["if"]):
            continue
        if "uses" in step:
            steps[step.get("id", str(index))] = {"cache-hit": "false"}
            continue
        output = os.path.join(workdir, f"output-{index}")
        path_file = os.path.join(workdir, f"path-{index}")
        open(output, "w").close()
        open(path_file, "w").close()
        env = dict(os.environ)
        env.update({name: substitute(text) for name, text in step.get("env", {}).items()})
        env.update({"GITHUB_OUTPUT": output, "GITHUB_PATH": path_file,
                    "GITHUB_ACTION_PATH": os.path.dirname(os.path.abspath(action_path))})
        if "${{" in step["run"]:
            raise SystemExit("run_composite_action: an expression inside run: (template injection)")
        result = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, cwd=workdir)
        if result.returncode != 0:
            sys.exit(result.returncode)
        with open(output, encoding="utf-8") as handle:
            steps[step.get("id", str(index))] = dict(
                line.split("=", 1) for line in handle.read().splitlines() if "=" in line)
        with open(path_file, encoding="utf-8") as handle:
            paths += handle.read().splitlines()
    print("PATH:")
    for path in paths:
        print(path)


if __name__ == "__main__":
    main()
