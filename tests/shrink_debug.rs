use td_e2e::config::HarnessConfig;
use td_e2e::driver::Driver;
use td_e2e::faults::BugInjector;
use td_e2e::harness::{Harness, WorldOptions};

#[test]
fn debug_bug() {
    let cfg = HarnessConfig::load_default().unwrap();
    for bug in BugInjector::ALL {
        let h = Harness::setup(&cfg, &WorldOptions::actors(2)).unwrap();
        let plant = h.faults().plant_bug(bug);
        let s = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let o = h
            .td("alice", &s(&["create", "hello", "--type", "bug"]))
            .unwrap();
        eprintln!("{}", o.output);
        h.td("alice", &s(&["create", "hello2"])).unwrap();
        eprintln!("{}", h.sync("alice").unwrap().output);
        eprintln!("{}", h.sync("bob").unwrap().output);
        eprintln!("{:?}: {:?}", bug, plant.firings());
    }
}
