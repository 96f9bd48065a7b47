// One registration line per traceable op (see registry.h and trace_hook.h). The invoker of each
// op is generated from its C++ function type; overloads get distinct graph names.

#include "ember/autograd/node.h"
#include "ember/core/grad_mode.h"
#include "ember/jit/registry.h"
#include "ember/ops/ops.h"

namespace ember::jit {

namespace {

EMBER_JIT_REGISTER(add);
EMBER_JIT_REGISTER(sub);
EMBER_JIT_REGISTER(mul);
EMBER_JIT_REGISTER(div);
EMBER_JIT_REGISTER(floor_divide);
EMBER_JIT_REGISTER(remainder);
EMBER_JIT_REGISTER(pow);
EMBER_JIT_REGISTER(maximum);
EMBER_JIT_REGISTER(minimum);
EMBER_JIT_REGISTER(eq);
EMBER_JIT_REGISTER(ne);
EMBER_JIT_REGISTER(lt);
EMBER_JIT_REGISTER(le);
EMBER_JIT_REGISTER(gt);
EMBER_JIT_REGISTER(ge);
EMBER_JIT_REGISTER(logical_and);
EMBER_JIT_REGISTER(logical_or);
EMBER_JIT_REGISTER(logical_xor);
EMBER_JIT_REGISTER(bitwise_and);
EMBER_JIT_REGISTER(bitwise_or);
EMBER_JIT_REGISTER(bitwise_xor);
EMBER_JIT_REGISTER(bitwise_not);
EMBER_JIT_REGISTER(bitwise_left_shift);
EMBER_JIT_REGISTER(bitwise_right_shift);
EMBER_JIT_REGISTER(where);
EMBER_JIT_REGISTER(add_);
EMBER_JIT_REGISTER(sub_);
EMBER_JIT_REGISTER(mul_);
EMBER_JIT_REGISTER(div_);
EMBER_JIT_REGISTER(floor_divide_);
EMBER_JIT_REGISTER(remainder_);
EMBER_JIT_REGISTER(pow_);
EMBER_JIT_REGISTER(bitwise_and_);
EMBER_JIT_REGISTER(bitwise_or_);
EMBER_JIT_REGISTER(bitwise_xor_);
EMBER_JIT_REGISTER(bitwise_left_shift_);
EMBER_JIT_REGISTER(bitwise_right_shift_);
EMBER_JIT_REGISTER(to);
EMBER_JIT_REGISTER(contiguous);
EMBER_JIT_REGISTER(clone);
EMBER_JIT_REGISTER(copy_);
EMBER_JIT_REGISTER(fill_);
EMBER_JIT_REGISTER(zero_);
EMBER_JIT_REGISTER(zeros);
EMBER_JIT_REGISTER(ones);
EMBER_JIT_REGISTER(full);
EMBER_JIT_REGISTER(zeros_like);
EMBER_JIT_REGISTER(ones_like);
EMBER_JIT_REGISTER(full_like);
EMBER_JIT_REGISTER(empty_like);
EMBER_JIT_REGISTER(arange);
EMBER_JIT_REGISTER(linspace);
EMBER_JIT_REGISTER(eye);
EMBER_JIT_REGISTER_FLAGS(uniform_, kRandom);
EMBER_JIT_REGISTER_FLAGS(normal_, kRandom);
EMBER_JIT_REGISTER_FLAGS(rand, kRandom);
EMBER_JIT_REGISTER_FLAGS(randn, kRandom);
EMBER_JIT_REGISTER_FLAGS(randint, kRandom);
EMBER_JIT_REGISTER_FLAGS(randperm, kRandom);
EMBER_JIT_REGISTER_FLAGS(bernoulli, kRandom);
EMBER_JIT_REGISTER(index_select);
EMBER_JIT_REGISTER(gather);
EMBER_JIT_REGISTER(scatter_add);
EMBER_JIT_REGISTER(index);
EMBER_JIT_REGISTER(index_put_);
EMBER_JIT_REGISTER(nonzero);
EMBER_JIT_REGISTER(masked_fill);
EMBER_JIT_REGISTER(matmul);
EMBER_JIT_REGISTER(linear);
EMBER_JIT_REGISTER(softmax);
EMBER_JIT_REGISTER(log_softmax);
EMBER_JIT_REGISTER(nll_loss);
EMBER_JIT_REGISTER(cross_entropy);
EMBER_JIT_REGISTER(cross_entropy_grad_terms);
EMBER_JIT_REGISTER(cross_entropy_backward);
EMBER_JIT_REGISTER(embedding);
EMBER_JIT_REGISTER(layer_norm);
EMBER_JIT_REGISTER(layer_norm_backward);
EMBER_JIT_REGISTER(softmax_backward);
EMBER_JIT_REGISTER_FLAGS(dropout, kRandom);
// Convolution and pooling (conv.cpp).
EMBER_JIT_REGISTER_AS("conv2d", conv2d, Tensor(const Tensor&, const Tensor&, const Tensor&, const Shape&, const Shape&, const Shape&, int64_t));
EMBER_JIT_REGISTER_AS("conv2d.str", conv2d, Tensor(const Tensor&, const Tensor&, const Tensor&, const Shape&, const std::string&, const Shape&, int64_t));
EMBER_JIT_REGISTER_AS("conv1d", conv1d, Tensor(const Tensor&, const Tensor&, const Tensor&, const Shape&, const Shape&, const Shape&, int64_t));
EMBER_JIT_REGISTER_AS("conv1d.str", conv1d, Tensor(const Tensor&, const Tensor&, const Tensor&, const Shape&, const std::string&, const Shape&, int64_t));
EMBER_JIT_REGISTER(conv_transpose2d);
EMBER_JIT_REGISTER(conv_transpose1d);
EMBER_JIT_REGISTER(max_pool2d_with_indices);
EMBER_JIT_REGISTER(max_pool1d_with_indices);
EMBER_JIT_REGISTER(avg_pool2d);
EMBER_JIT_REGISTER(avg_pool1d);
EMBER_JIT_REGISTER(adaptive_avg_pool2d);
EMBER_JIT_REGISTER(adaptive_avg_pool1d);
EMBER_JIT_REGISTER(adaptive_max_pool2d);
EMBER_JIT_REGISTER(adaptive_max_pool1d);
// Normalization and padding (norm.cpp). batch_norm writes running stats in training mode.
EMBER_JIT_REGISTER_FLAGS(batch_norm, kSideEffect);
EMBER_JIT_REGISTER(group_norm);
EMBER_JIT_REGISTER(pad);
EMBER_JIT_REGISTER(interpolate);
EMBER_JIT_REGISTER_FLAGS(dropout2d, kRandom);
EMBER_JIT_REGISTER(binary_cross_entropy_with_logits);
EMBER_JIT_REGISTER(binary_cross_entropy);
EMBER_JIT_REGISTER_FLAGS(sgd_step, kSideEffect);
EMBER_JIT_REGISTER(adam_step);
EMBER_JIT_REGISTER(adam_step_product);
EMBER_JIT_REGISTER(rmsprop_step);
EMBER_JIT_REGISTER(adagrad_step);
EMBER_JIT_REGISTER(adamax_step);
EMBER_JIT_REGISTER(nadam_step);
EMBER_JIT_REGISTER(radam_step);
EMBER_JIT_REGISTER(adadelta_step);
EMBER_JIT_REGISTER(rprop_step);
EMBER_JIT_REGISTER(asgd_step);
EMBER_JIT_REGISTER(sum);
EMBER_JIT_REGISTER(mean);
EMBER_JIT_REGISTER(sum_to);
EMBER_JIT_REGISTER(all);
EMBER_JIT_REGISTER(any);
EMBER_JIT_REGISTER(prod);
EMBER_JIT_REGISTER(argmax);
EMBER_JIT_REGISTER(argmin);
EMBER_JIT_REGISTER(var);
EMBER_JIT_REGISTER(logsumexp);
EMBER_JIT_REGISTER(amax);
EMBER_JIT_REGISTER(amin);
EMBER_JIT_REGISTER(cumsum);
EMBER_JIT_REGISTER(view);
EMBER_JIT_REGISTER(reshape);
EMBER_JIT_REGISTER(transpose);
EMBER_JIT_REGISTER(permute);
EMBER_JIT_REGISTER(t_all);
EMBER_JIT_REGISTER(mT);
EMBER_JIT_REGISTER(expand);
EMBER_JIT_REGISTER(squeeze);
EMBER_JIT_REGISTER(unsqueeze);
EMBER_JIT_REGISTER(flatten);
EMBER_JIT_REGISTER(slice);
EMBER_JIT_REGISTER(narrow);
EMBER_JIT_REGISTER(diagonal);
EMBER_JIT_REGISTER(select);
EMBER_JIT_REGISTER(cat);
EMBER_JIT_REGISTER(stack);
EMBER_JIT_REGISTER(split_with_sizes);
EMBER_JIT_REGISTER(unbind);
EMBER_JIT_REGISTER(lstm_cell);
EMBER_JIT_REGISTER(lstm_cell_backward);
EMBER_JIT_REGISTER(lstm_layer);
EMBER_JIT_REGISTER(lstm_layer_backward);
EMBER_JIT_REGISTER(split);
EMBER_JIT_REGISTER(chunk);
EMBER_JIT_REGISTER(as_strided);
EMBER_JIT_REGISTER(neg);
EMBER_JIT_REGISTER(exp);
EMBER_JIT_REGISTER(log);
EMBER_JIT_REGISTER(log1p);
EMBER_JIT_REGISTER(sqrt);
EMBER_JIT_REGISTER(rsqrt);
EMBER_JIT_REGISTER(abs);
EMBER_JIT_REGISTER(sign);
EMBER_JIT_REGISTER(sin);
EMBER_JIT_REGISTER(cos);
EMBER_JIT_REGISTER(sigmoid);
EMBER_JIT_REGISTER(tanh);
EMBER_JIT_REGISTER(relu);
EMBER_JIT_REGISTER(leaky_relu);
EMBER_JIT_REGISTER(hardtanh);
EMBER_JIT_REGISTER(gelu);
EMBER_JIT_REGISTER(erf);
EMBER_JIT_REGISTER(erfc);
EMBER_JIT_REGISTER(erfinv);
EMBER_JIT_REGISTER(tan);
EMBER_JIT_REGISTER(asin);
EMBER_JIT_REGISTER(acos);
EMBER_JIT_REGISTER(atan);
EMBER_JIT_REGISTER(sinh);
EMBER_JIT_REGISTER(cosh);
EMBER_JIT_REGISTER(asinh);
EMBER_JIT_REGISTER(acosh);
EMBER_JIT_REGISTER(atanh);
EMBER_JIT_REGISTER(expm1);
EMBER_JIT_REGISTER(exp2);
EMBER_JIT_REGISTER(log2);
EMBER_JIT_REGISTER(log10);
EMBER_JIT_REGISTER(lgamma);
EMBER_JIT_REGISTER(digamma);
EMBER_JIT_REGISTER(polygamma);
EMBER_JIT_REGISTER(reciprocal);
EMBER_JIT_REGISTER(floor);
EMBER_JIT_REGISTER(ceil);
EMBER_JIT_REGISTER(trunc);
EMBER_JIT_REGISTER(round);
EMBER_JIT_REGISTER(frac);
EMBER_JIT_REGISTER(square);
EMBER_JIT_REGISTER(fmod);
EMBER_JIT_REGISTER(atan2);
EMBER_JIT_REGISTER(hypot);
EMBER_JIT_REGISTER(copysign);
EMBER_JIT_REGISTER(silu);
EMBER_JIT_REGISTER(logical_not);
EMBER_JIT_REGISTER(clamp);
EMBER_JIT_REGISTER(clamp_);
EMBER_JIT_REGISTER_AS("max", max, Tensor(const Tensor&));
EMBER_JIT_REGISTER_AS("min", min, Tensor(const Tensor&));
EMBER_JIT_REGISTER_AS("max.dim", max, std::pair<Tensor, Tensor>(const Tensor&, int64_t, bool));
EMBER_JIT_REGISTER_AS("min.dim", min, std::pair<Tensor, Tensor>(const Tensor&, int64_t, bool));
EMBER_JIT_REGISTER_AS("std", ::ember::std, decltype(::ember::std));

// accumulate_grad(param, grad, had_grad): what the autograd engine does for a leaf. With
// had_grad false (the gradient was None when traced) `.grad` is set to `grad` (taken when no one
// else holds it, else copied); with true it is added in place into the existing `.grad` (set
// when `.grad` is None at run time). Returns the leaf's `.grad`.
TensorList accumulate_grad_invoke(TensorList& inputs, const std::vector<IValue>& attrs) {
  EMBER_CHECK(inputs.size() == 2 && attrs.size() == 1, "jit: accumulate_grad expects 2 inputs "
              "and 1 attribute, got ", inputs.size(), " and ", attrs.size());
  Tensor var = inputs[0];
  Tensor g = std::move(inputs[1]);
  inputs.clear();
  const bool add_into = attrs[0].to_bool();
  AutogradMeta& meta = var.impl()->autograd_mut();
  if (add_into && meta.grad) {
    Tensor cur(meta.grad);
    cur.add_(g);
  } else if (g.is_contiguous() && g.impl_ptr().use_count() == 1 &&
             g.impl()->storage().use_count() == 1) {
    meta.grad = g.impl_ptr();
  } else {
    meta.grad = g.detach().contiguous().clone().impl_ptr();
  }
  return TensorList{Tensor(meta.grad)};
}

detail::Registrar accumulate_grad_reg([] {
  OpInfo info;
  info.name = "accumulate_grad";
  info.fn = [](TensorList& inputs, const std::vector<IValue>& attrs, TensorList& out) {
    out = accumulate_grad_invoke(inputs, attrs);
  };
  info.flags = kSideEffect;
  return info;
}());

// clear_grad(t): `t.grad = None` (recorded by the tracer where Python code clears a gradient,
// e.g. optimizer.zero_grad()).
detail::Registrar clear_grad_reg([] {
  OpInfo info;
  info.name = "clear_grad";
  info.fn = [](TensorList& inputs, const std::vector<IValue>&, TensorList& out) {
    EMBER_CHECK(inputs.size() == 1 && inputs[0].defined(), "jit: clear_grad expects 1 tensor");
    if (AutogradMeta* m = inputs[0].impl()->autograd()) m->grad = nullptr;
    inputs.clear();
    out.clear();
  };
  info.flags = kSideEffect;
  return info;
}());

// autograd_backward(y, path, grads...): applies the backward of an autograd node the forward op
// made at run time (its graph node runs with kKeepsAutograd): the grad_fn of `y`, followed along
// `path` (next-edge indices); returns that node's input gradients.
TensorList autograd_backward_invoke(TensorList& inputs, const std::vector<IValue>& attrs) {
  EMBER_CHECK(!inputs.empty() && inputs[0].defined(), "jit: autograd_backward needs the forward "
              "output");
  auto fn = inputs[0].grad_fn();
  EMBER_CHECK(fn != nullptr, "jit: autograd_backward: the forward output has no autograd node "
              "(its forward node must run with kKeepsAutograd)");
  EMBER_CHECK(attrs.size() == 1, "jit: autograd_backward expects a path attribute");
  for (int64_t e : attrs[0].to_int_list()) {
    EMBER_CHECK(e >= 0 && static_cast<size_t>(e) < fn->next_edges().size() &&
                    fn->next_edges()[e].fn != nullptr,
                "jit: autograd_backward: the recorded autograd path does not exist at run time");
    fn = fn->next_edges()[e].fn;
  }
  TensorList grads(inputs.begin() + 1, inputs.end());
  inputs.clear();
  AutoGradMode no_grad(false);
  return fn->apply(std::move(grads));
}

detail::Registrar autograd_backward_reg([] {
  OpInfo info;
  info.name = "autograd_backward";
  info.fn = [](TensorList& inputs, const std::vector<IValue>& attrs, TensorList& out) {
    out = autograd_backward_invoke(inputs, attrs);
  };
  info.flags = kSideEffect;
  return info;
}());

}  // namespace

}  // namespace ember::jit
