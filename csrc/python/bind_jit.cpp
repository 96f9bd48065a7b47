#include "common.h"

#include "ember/jit/executor.h"
#include "ember/jit/passes/passes.h"
#include "ember/jit/serialize.h"
#include "ember/jit/tracer.h"

namespace ember::python {

namespace {

using jit::Graph;

std::vector<std::string> value_info(const std::vector<jit::Value*>& vs) {
  std::vector<std::string> r;
  for (auto* v : vs) r.push_back(v->type_str());
  return r;
}

}  // namespace

void init_jit(py::module_& m) {
  py::class_<Graph, std::shared_ptr<Graph>>(m, "_JitGraph")
      .def("__str__", &Graph::str)
      .def("to_dot", &Graph::to_dot)
      .def("lint", &Graph::lint)
      .def_property_readonly("num_nodes", &Graph::num_nodes)
      .def("ops", [](const Graph& g) {
        std::vector<std::string> r;
        for (auto* n : g.nodes()) r.push_back(n->op());
        return r;
      })
      .def("input_types", [](const Graph& g) { return value_info(g.inputs()); })
      .def("output_types", [](const Graph& g) { return value_info(g.outputs()); })
      .def("param_names", [](const Graph& g) {
        std::vector<std::string> r;
        for (auto* v : g.params()) r.push_back(v->name());
        return r;
      })
      .def("params", [](const Graph& g) {
        TensorList r;
        for (auto* v : g.params()) r.push_back(v->tensor());
        return r;
      })
      .def("name_params", [](Graph& g, const TensorList& ts, const std::vector<std::string>& names) {
        jit::name_params(g, ts, names);
      })
      .def("run_passes", [](Graph& g, bool dce, bool cse, bool peephole, bool fold,
                            bool algebraic, bool fusion, bool memory, bool optimizer) {
        jit::PassOptions o;
        o.dce = dce;
        o.cse = cse;
        o.peephole = peephole;
        o.fold = fold;
        o.algebraic = algebraic;
        o.fusion = fusion;
        o.memory = memory;
        o.optimizer = optimizer;
        jit::PassStats s = jit::run_passes(g, o);
        py::dict d;
        d["nodes_before"] = s.nodes_before;
        d["nodes_after"] = s.nodes_after;
        d["removed_dead"] = s.removed_dead;
        d["merged_common"] = s.merged_common;
        d["peephole_rewrites"] = s.peephole_rewrites;
        d["folded_constants"] = s.folded_constants;
        d["simplified"] = s.simplified;
        d["fused_groups"] = s.fused_groups;
        d["fused_nodes"] = s.fused_nodes;
        d["inplace_rewrites"] = s.inplace_rewrites;
        d["bytes_reused"] = s.bytes_reused;
        d["optimizer_products"] = s.optimizer_products;
        return d;
      }, py::arg("dce") = true, py::arg("cse") = true, py::arg("peephole") = true,
         py::arg("fold") = true, py::arg("algebraic") = true, py::arg("fusion") = true,
         py::arg("memory") = true, py::arg("optimizer") = true)
      .def("peephole_optimize", [](Graph& g) { return jit::peephole_optimize(g); })
      .def("fuse_optimizer_products", [](Graph& g) { return jit::fuse_optimizer_products(g); })
      .def("eliminate_dead_code", [](Graph& g) { return jit::eliminate_dead_code(g); })
      .def("eliminate_common_subexpressions",
           [](Graph& g) { return jit::eliminate_common_subexpressions(g); })
      .def("fold_constants", [](Graph& g) { return jit::fold_constants(g); })
      .def("simplify_algebra", [](Graph& g) { return jit::simplify_algebra(g); })
      .def("fuse_elementwise", [](Graph& g, int64_t min_numel) {
        return jit::fuse_elementwise(g, min_numel);
      }, py::arg("min_numel") = 16)
      .def("plan_memory", [](Graph& g, int64_t min_numel) {
        return jit::plan_memory(g, nullptr, min_numel);
      }, py::arg("min_numel") = 16);

  py::class_<jit::Trace>(m, "_JitTrace")
      .def("end", &jit::Trace::end)
      .def("abort", &jit::Trace::abort)
      .def_property_readonly("active", &jit::Trace::active);
  m.def("_jit_begin", [](const TensorList& inputs, const std::vector<std::string>& names) {
    return jit::begin_trace(inputs, names);
  });
  m.def("_jit_is_tracing", &jit::is_tracing);
  m.def("_jit_registered_ops", &jit::registered_ops);

  py::class_<jit::Executor, std::shared_ptr<jit::Executor>>(m, "_JitExecutor")
      .def(py::init<std::shared_ptr<Graph>>())
      .def("run", &jit::Executor::run, py::call_guard<py::gil_scoped_release>())
      .def("signature", &jit::Executor::signature)
      .def("profile", &jit::Executor::profile, py::call_guard<py::gil_scoped_release>());
  m.def("_jit_signature", &jit::signature_of);

  m.def("_jit_save", [](const Graph& g, const std::string& path, const std::string& meta) {
    py::gil_scoped_release release;
    jit::save_graph(g, path, meta);
  });
  m.def("_jit_load", [](const std::string& path) {
    std::string meta;
    std::shared_ptr<Graph> g;
    {
      py::gil_scoped_release release;
      g = jit::load_graph(path, &meta);
    }
    return py::make_tuple(g, meta);
  });
}

}  // namespace ember::python
