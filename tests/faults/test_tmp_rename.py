from faults.conftest import *  # noqa
from faults.test_fault_matrix import prepare


def test_target_renamed(world, run):
    prepare(world, run)
    world.sb.rename("acme/app", "acme/app2")
    r = run()
    print(r.describe())
    for q in world.sb.requests():
        print(q)


def test_upstream_renamed(world, run):
    prepare(world, run)
    world.sb.rename("up/lib", "up/lib2")
    r = run()
    print(r.describe())
    r = run()
    print(r.describe())
