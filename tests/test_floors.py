"""The oldest versions `.ci/run` tests (requirements-oldest.txt) are exactly the floors that
pyproject.toml declares, so no floor is claimed without being tested."""
import re

from tools.build import ROOT


def version(text: str) -> tuple[int, ...]:
    numbers = [int(part) for part in text.split(".")]
    return tuple(numbers + [0] * (3 - len(numbers)))       # 1.26 == 1.26.0


def declared() -> list[str]:
    block = re.search(r"^dependencies = \[(.*?)^\]", (ROOT / "pyproject.toml").read_text(), re.S | re.M).group(1)
    return re.findall(r'"([^"]+)"', block)


def pinned(name: str) -> dict[str, tuple[int, ...]]:
    lines = (line.split("#")[0].strip() for line in (ROOT / name).read_text().splitlines())
    return {package.lower(): version(v) for package, v in (line.split("==") for line in lines if line)}


def test_every_dependency_has_a_floor_and_the_oldest_versions_are_the_floors():
    floors = dict(re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", spec).groups() for spec in declared())
    oldest = pinned("requirements-oldest.txt")
    newest = pinned("requirements.txt")
    for package, floor in floors.items():
        assert oldest.get(package.lower()) == version(floor), f"{package}>={floor} is not what the oldest file pins"
        assert newest[package.lower()] >= version(floor), package
