#include "common.h"

#include <atomic>
#include <string>
#include <unordered_map>

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

// The graphs an ember.jit.function has traced for calls made of positional tensors only, keyed
// by their dtypes, devices, requires_grad flags and shapes: such a call is looked up and run
// without building the Python signature (the Python side handles every other call, and misses).
// Entries hold the TracedFunction weakly (the Python cache holds it): a reference from C++ would
// be invisible to Python's cycle collector.
// Advanced by _C._jit_state_changed() whenever Python state a trace may depend on changes (an
// optimizer's hyperparameters, a module's training flag): entries added before then are not
// used until the Python side has checked that trace's guards again and re-added it.
std::atomic<uint64_t> g_jit_state_epoch{0};

struct JitCallTable {
  struct Entry {
    py::weakref traced;   // the TracedFunction; its current `_executor` is run
    bool single = false;  // the output is the graph's one tensor
    uint64_t epoch = 0;   // g_jit_state_epoch when added
    // The graph's outputs backpropagate through Python (TracedFunction._run) when grad is
    // enabled and an input or captured parameter requires grad: such calls take that path.
    bool autograd = false;
  };
  py::object unflatten;  // ember.jit._api._unflatten
  std::unordered_map<std::string, Entry> entries;
};

// The table key of a call with positional arguments `args` (a tuple); false unless every
// argument is exactly an ember.Tensor (subclasses such as Parameter take the Python path, as
// there).
bool positional_key(PyObject* args, std::string& key) {
  key.clear();
  // Grad mode first: a graph traced with grad enabled knows which outputs require grad.
  key.push_back(is_grad_enabled() ? '\1' : '\0');
  const Py_ssize_t n = PyTuple_GET_SIZE(args);
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* o = PyTuple_GET_ITEM(args, i);
    if (Py_TYPE(o) != g_tensor_type) return false;
    const Tensor* t = tensor_of(o);
    if (t == nullptr || !t->defined()) return false;
    const int32_t head[4] = {static_cast<int32_t>(t->dtype()),
                             static_cast<int32_t>(t->device().type), t->device().index,
                             (t->requires_grad() ? 1 : 0) | static_cast<int32_t>(t->dim()) << 1};
    key.append(reinterpret_cast<const char*>(head), sizeof(head));
    key.append(reinterpret_cast<const char*>(t->sizes().data()),
               t->sizes().size() * sizeof(int64_t));
  }
  return true;
}

// _C._jit_call(table, args): the traced graph's result for positional tensors `args`, or
// NotImplemented when the table has no graph for them.
PyObject* jit_call(PyObject*, PyObject* const* argv, Py_ssize_t nargs) {
  if (nargs != 2 || !PyTuple_Check(argv[1])) {
    PyErr_SetString(PyExc_TypeError, "_jit_call(table, args): expected a table and a tuple");
    return nullptr;
  }
  return slot_call([&]() -> py::object {
    auto& table = py::handle(argv[0]).cast<JitCallTable&>();
    thread_local std::string key;
    if (!positional_key(argv[1], key)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
    auto it = table.entries.find(key);
    if (it == table.entries.end() ||
        it->second.epoch != g_jit_state_epoch.load(std::memory_order_relaxed)) {
      return py::reinterpret_borrow<py::object>(Py_NotImplemented);
    }
    const bool single = it->second.single;
    py::object traced = it->second.traced();
    if (traced.is_none()) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
    py::object ex_obj = traced.attr("_executor");
    const auto& ex = ex_obj.cast<const jit::Executor&>();
    const Py_ssize_t n = PyTuple_GET_SIZE(argv[1]);
    if (it->second.autograd && is_grad_enabled()) {
      bool wants_grad = false;
      for (Py_ssize_t i = 0; i < n && !wants_grad; ++i) {
        wants_grad = tensor_of(PyTuple_GET_ITEM(argv[1], i))->requires_grad();
      }
      for (const jit::Value* p : ex.graph()->params()) {
        if (wants_grad) break;
        wants_grad = p->tensor().defined() && p->tensor().requires_grad();
      }
      if (wants_grad) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
    }
    TensorList inputs;
    inputs.reserve(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) inputs.push_back(*tensor_of(PyTuple_GET_ITEM(argv[1], i)));
    TensorList out;
    {
      py::gil_scoped_release release;
      out = ex.run(inputs);
    }
    if (single && out.size() == 1) return wrap(std::move(out[0]));
    py::list flat;
    for (Tensor& t : out) flat.append(wrap(std::move(t)));
    return table.unflatten(traced.attr("_out_spec"), flat);
  });
}

PyMethodDef g_jit_call_def = {
    "_jit_call", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&jit_call)),
    METH_FASTCALL, "Fast path of ember.jit.function calls (internal)."};

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
      .def("trace_notes", &Graph::trace_notes,
           "Warnings the tracer left about this graph (shown by ember.jit when tracing).")
      .def("effects", [](const Graph& g) -> std::string {
        bool effects = false;
        for (const jit::Node* n : g.nodes()) {
          const std::string& op = n->op();
          if (op == "accumulate_grad" || op == "autograd_backward" || op == "clear_grad" ||
              op.find("_step") != std::string::npos) {
            return "backward";
          }
          if (n->flags() & (jit::kSideEffect | jit::kRandom | jit::kKeepsAutograd | jit::kInplace)) {
            effects = true;
          }
        }
        return effects ? "forward" : "none";
      }, "What running the graph does besides computing its outputs: 'backward' (it calls "
         "backward or an optimizer step), 'forward' (in-place writes, random draws, running "
         "statistics) or 'none'. Read it before the passes, which add in-place writes.")
      .def("params", [](const Graph& g) {
        // A `.grad` param is its owner's gradient now (left out while there is none).
        TensorList r;
        for (auto* v : g.params()) {
          Tensor t = v->grad_owner().defined() ? v->grad_owner().grad() : v->tensor();
          if (t.defined()) r.push_back(t);
        }
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
        d["fused_losses"] = s.fused_losses;
        return d;
      }, py::arg("dce") = true, py::arg("cse") = true, py::arg("peephole") = true,
         py::arg("fold") = true, py::arg("algebraic") = true, py::arg("fusion") = true,
         py::arg("memory") = true, py::arg("optimizer") = true)
      .def("peephole_optimize", [](Graph& g) { return jit::peephole_optimize(g); })
      .def("fuse_optimizer_products", [](Graph& g) { return jit::fuse_optimizer_products(g); })
      .def("fuse_losses", [](Graph& g) { return jit::fuse_losses(g); })
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
      .def("end", &jit::Trace::end, py::arg("outputs"), py::arg("state") = TensorList{})
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
  m.def("_jit_state_changed", [] { g_jit_state_epoch.fetch_add(1, std::memory_order_relaxed); },
        "Marks Python state that traces may depend on as changed (internal): call tables check "
        "those traces' guards again before running them.");
  m.def("_jit_state_epoch", [] { return g_jit_state_epoch.load(std::memory_order_relaxed); },
        "How many times _jit_state_changed() was called (internal).");
  py::register_exception<jit::GuardError>(m, "JitGuardError", PyExc_RuntimeError);

  py::class_<JitCallTable>(m, "_JitCallTable")
      .def(py::init([](py::object unflatten) {
        auto t = std::make_unique<JitCallTable>();
        t->unflatten = std::move(unflatten);
        return t;
      }))
      .def_static("key", [](py::tuple args) -> py::object {
        std::string key;
        if (!positional_key(args.ptr(), key)) return py::none();
        return py::bytes(key);
      }, "The table key of a call with positional arguments `args` (bytes), or None when they "
         "are not all tensors. Take it before the call: the function may change requires_grad.")
      .def("add", [](JitCallTable& t, py::bytes key, py::object traced, bool single,
                     bool autograd) {
        t.entries[std::string(key)] = JitCallTable::Entry{
            py::weakref(traced), single, g_jit_state_epoch.load(std::memory_order_relaxed),
            autograd};
      }, py::arg("key"), py::arg("traced"), py::arg("single"), py::arg("autograd") = false,
         "Adds the TracedFunction `traced` (held weakly) for calls with table key `key` (from "
         "key()); `single`: its output is one tensor; `autograd`: calls with grad enabled and "
         "an input or captured parameter requiring grad go to the Python path.")
      .def("__len__", [](const JitCallTable& t) { return t.entries.size(); });
  {
    py::object module_name = m.attr("__name__");
    PyObject* f = PyCFunction_NewEx(&g_jit_call_def, nullptr, module_name.ptr());
    if (f == nullptr) throw py::error_already_set();
    m.attr("_jit_call") = py::reinterpret_steal<py::object>(f);
  }

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
